// Package payloadcodec encrypts what sagatrace hands to Temporal: every
// workflow input, activity argument and result, query answer and failure
// detail (the saga's customer, card token and amount among them) becomes
// AES-256-GCM ciphertext before it leaves the process, so Temporal's
// database, its visibility store and its UI hold only ciphertext. Search
// attributes are not payloads the codec sees: they stay clear, so a DTID
// must never carry personal data.
//
// Keys rotate: the codec encrypts with the current key of its KeySet and
// decrypts with any key it lists, named by the key ID each payload carries
// in its metadata. Payloads written before the codec (plain JSON) are
// decoded as they are, so sagas in flight across the upgrade, and the
// replay corpus, keep working.
package payloadcodec

import (
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"
)

const (
	// Encoding is the metadata "encoding" of an encrypted payload.
	Encoding = "binary/encrypted"
	// MetadataKeyID names the key that encrypted a payload.
	MetadataKeyID = "encryption-key-id"
)

// ErrUnknownKey is a payload encrypted with a key the key set lacks.
var ErrUnknownKey = errors.New("unknown encryption key")

// Codec is a converter.PayloadCodec that encrypts with AES-256-GCM. It is
// safe for concurrent use.
type Codec struct {
	keys    KeySet
	current string
	aeads   map[string]cipher.AEAD
}

var _ converter.PayloadCodec = (*Codec)(nil)

// New returns the codec of keys; the first key is the one it encrypts with.
func New(keys KeySet) (*Codec, error) {
	if len(keys.Keys) == 0 {
		return nil, errors.New("payload codec: the key set is empty; `sagatrace codec-key rotate --key-file FILE` makes a first key")
	}
	c := &Codec{keys: keys, current: keys.Keys[0].ID, aeads: map[string]cipher.AEAD{}}
	for _, k := range keys.Keys {
		aead, err := k.aead()
		if err != nil {
			return nil, err
		}
		if _, dup := c.aeads[k.ID]; dup {
			return nil, fmt.Errorf("payload codec: key ID %q is listed twice; every key needs its own ID", k.ID)
		}
		c.aeads[k.ID] = aead
	}
	return c, nil
}

// CurrentKeyID is the ID of the key new payloads are encrypted with.
func (c *Codec) CurrentKeyID() string { return c.current }

// Encode encrypts each payload, whole (its metadata too, so the encoding
// of the value does not show), with the current key. The key ID is
// authenticated with it, so a payload cannot be passed off as another
// key's.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	aead := c.aeads[c.current]
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		plain, err := proto.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("encrypt payload: %w", err)
		}
		sealed := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
		if _, err := rand.Read(sealed); err != nil {
			return nil, fmt.Errorf("encrypt payload: nonce: %w", err)
		}
		sealed = aead.Seal(sealed, sealed, plain, []byte(c.current))
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{
				converter.MetadataEncoding: []byte(Encoding),
				MetadataKeyID:              []byte(c.current),
			},
			Data: sealed,
		}
	}
	return out, nil
}

// Decode decrypts each encrypted payload with the key it names; a payload
// that is not encrypted (written before the codec) is returned as it is.
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[converter.MetadataEncoding]) != Encoding {
			out[i] = p
			continue
		}
		kid := string(p.GetMetadata()[MetadataKeyID])
		aead, ok := c.aeads[kid]
		if !ok {
			return nil, fmt.Errorf("decrypt payload: key ID %q: %w; this process holds keys %v: add that key back to the codec key file (a key may be removed only once no history needs it)", kid, ErrUnknownKey, c.keys.IDs())
		}
		data := p.GetData()
		if len(data) < aead.NonceSize()+aead.Overhead() {
			return nil, fmt.Errorf("decrypt payload with key %q: %d bytes, too short to be ciphertext", kid, len(data))
		}
		nonce, sealed := data[:aead.NonceSize()], data[aead.NonceSize():]
		plain, err := aead.Open(nil, nonce, sealed, []byte(kid))
		if err != nil {
			return nil, fmt.Errorf("decrypt payload with key %q: the ciphertext or its key ID was altered, or the key file holds another key under that ID: %w", kid, err)
		}
		var decoded commonpb.Payload
		if err := proto.Unmarshal(plain, &decoded); err != nil {
			return nil, fmt.Errorf("decrypt payload with key %q: not a payload inside: %w", kid, err)
		}
		out[i] = &decoded
	}
	return out, nil
}
