package payloadcodec

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/sagatrace/sagatrace/internal/secretfile"
)

// KeySize is the length of an AES-256 key in bytes.
const KeySize = 32

// Key is one AES-256 key and the ID payloads name it by.
type Key struct {
	ID     string `json:"kid"`
	Secret []byte `json:"key"` // base64 in the file
}

func (k Key) aead() (cipher.AEAD, error) {
	if k.ID == "" {
		return nil, errors.New("payload codec: a key has no kid")
	}
	if len(k.Secret) != KeySize {
		return nil, fmt.Errorf("payload codec: key %q is %d bytes, AES-256 needs %d", k.ID, len(k.Secret), KeySize)
	}
	block, err := aes.NewCipher(k.Secret)
	if err != nil {
		return nil, fmt.Errorf("payload codec: key %q: %w", k.ID, err)
	}
	return cipher.NewGCM(block)
}

// KeySet is the keys a codec holds, the current one first: it encrypts
// with the first and decrypts with any.
type KeySet struct {
	Keys []Key `json:"keys"`
}

// IDs lists the key IDs, the current one first.
func (s KeySet) IDs() []string {
	ids := make([]string, len(s.Keys))
	for i, k := range s.Keys {
		ids[i] = k.ID
	}
	return ids
}

// NewKey returns a random key whose ID tells when it was made (for the
// operator deciding which old key may go) and a random part (two keys made
// the same day differ).
func NewKey(now time.Time) (Key, error) {
	secret := make([]byte, KeySize)
	suffix := make([]byte, 4)
	if _, err := rand.Read(secret); err != nil {
		return Key{}, fmt.Errorf("generate payload key: %w", err)
	}
	if _, err := rand.Read(suffix); err != nil {
		return Key{}, fmt.Errorf("generate payload key: %w", err)
	}
	return Key{ID: now.UTC().Format("20060102") + "-" + hex.EncodeToString(suffix), Secret: secret}, nil
}

// LoadKeyFile reads a key file (JSON {"keys":[{"kid","key"}]}, the
// current key first). Like the token issuer's private key, a file its
// group or others may read is refused: whoever reads it reads every saga.
func LoadKeyFile(path string) (KeySet, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return KeySet{}, fmt.Errorf("read codec key file: %w", err)
	}
	if err := secretfile.Check(path, "codec key file"); err != nil {
		return KeySet{}, err
	}
	var s KeySet
	if err := json.Unmarshal(data, &s); err != nil {
		return KeySet{}, fmt.Errorf("codec key file %s: %w; it holds {\"keys\":[{\"kid\":\"…\",\"key\":\"<32 bytes, base64>\"}]}", path, err)
	}
	if len(s.Keys) == 0 {
		return KeySet{}, fmt.Errorf("codec key file %s holds no key; `sagatrace codec-key rotate --key-file %s` adds one", path, path)
	}
	for _, k := range s.Keys {
		if _, err := k.aead(); err != nil {
			return KeySet{}, fmt.Errorf("codec key file %s: %w", path, err)
		}
	}
	return s, nil
}

// LoadCodec reads the key file at path and returns its codec.
func LoadCodec(path string) (*Codec, error) {
	keys, err := LoadKeyFile(path)
	if err != nil {
		return nil, err
	}
	return New(keys)
}

// EnsureKeyFile returns the keys of path, making the file with one new key
// (0600, its directory 0700) when it does not exist, as `sagatrace dev`
// makes the token issuer's key on first start.
func EnsureKeyFile(path string) (KeySet, error) {
	s, err := LoadKeyFile(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return s, err
	}
	k, err := NewKey(time.Now())
	if err != nil {
		return KeySet{}, err
	}
	s = KeySet{Keys: []Key{k}}
	return s, writeKeyFile(path, s)
}

// Rotate puts a new current key at the head of path's keys (making the
// file when missing) and returns it. The old keys stay: they still decrypt
// the histories written with them. Processes read the file at start:
// restart every one that shares it, or one still holding the old set
// cannot read what a restarted one writes (its workflow tasks fail and
// retry until it is restarted).
func Rotate(path string, now time.Time) (Key, error) {
	s, err := LoadKeyFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return Key{}, err
	}
	k, err := NewKey(now)
	if err != nil {
		return Key{}, err
	}
	s.Keys = append([]Key{k}, s.Keys...)
	return k, writeKeyFile(path, s)
}

func writeKeyFile(path string, s KeySet) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encode codec key file: %w", err)
	}
	return secretfile.Write(path, append(data, '\n'), 0o600)
}
