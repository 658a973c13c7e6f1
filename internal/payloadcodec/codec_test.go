package payloadcodec_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"

	"github.com/sagatrace/sagatrace/internal/payloadcodec"
)

type sagaInput struct {
	CustomerID  string `json:"customer_id"`
	CardToken   string `json:"card_token"`
	AmountCents int64  `json:"amount_cents"`
}

var secretInput = sagaInput{CustomerID: "cust-secret-7781", CardToken: "tok_visa_secret_4242", AmountCents: 987654}

func newCodec(t testing.TB, keys ...payloadcodec.Key) *payloadcodec.Codec {
	t.Helper()
	c, err := payloadcodec.New(payloadcodec.KeySet{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newKey(t testing.TB) payloadcodec.Key {
	t.Helper()
	k, err := payloadcodec.NewKey(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// encode converts v as the SDK does and encrypts it with c.
func encode(t *testing.T, c *payloadcodec.Codec, v any) *commonpb.Payload {
	t.Helper()
	p, err := payloadcodec.DataConverter(c).ToPayload(v)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRoundTripHidesEverything(t *testing.T) {
	c := newCodec(t, newKey(t))
	p := encode(t, c, secretInput)
	if got := string(p.Metadata[converter.MetadataEncoding]); got != payloadcodec.Encoding {
		t.Errorf("encoding = %q, want %q", got, payloadcodec.Encoding)
	}
	if got := string(p.Metadata[payloadcodec.MetadataKeyID]); got != c.CurrentKeyID() {
		t.Errorf("key ID = %q, want %q", got, c.CurrentKeyID())
	}
	for _, clear := range []string{secretInput.CustomerID, secretInput.CardToken, "987654", "json/plain"} {
		if bytes.Contains(p.Data, []byte(clear)) {
			t.Errorf("ciphertext contains %q in clear", clear)
		}
	}
	var got sagaInput
	if err := payloadcodec.DataConverter(c).FromPayload(p, &got); err != nil {
		t.Fatal(err)
	}
	if got != secretInput {
		t.Errorf("round trip = %+v, want %+v", got, secretInput)
	}
}

// After a rotation the codec encrypts with the new key and still decrypts
// what the old key encrypted; a codec that only has the old key cannot read
// the new payloads and says which key it lacks.
func TestRotationDecryptsOldAndEncryptsWithNew(t *testing.T) {
	oldKey, newK := newKey(t), newKey(t)
	before := newCodec(t, oldKey)
	after := newCodec(t, newK, oldKey)
	oldPayload := encode(t, before, secretInput)
	newPayload := encode(t, after, secretInput)
	if got := string(newPayload.Metadata[payloadcodec.MetadataKeyID]); got != newK.ID {
		t.Errorf("after rotation key ID = %q, want the new key %q", got, newK.ID)
	}
	for name, p := range map[string]*commonpb.Payload{"old": oldPayload, "new": newPayload} {
		var got sagaInput
		if err := payloadcodec.DataConverter(after).FromPayload(p, &got); err != nil || got != secretInput {
			t.Errorf("%s payload after rotation: %+v, %v", name, got, err)
		}
	}
	_, err := before.Decode([]*commonpb.Payload{newPayload})
	if !errors.Is(err, payloadcodec.ErrUnknownKey) || !strings.Contains(err.Error(), newK.ID) {
		t.Errorf("decode with the old set only: err = %v, want ErrUnknownKey naming %s", err, newK.ID)
	}
}

// Payloads written before the codec (plain JSON, as in the replay corpus)
// pass through unchanged.
func TestPlaintextPassesThrough(t *testing.T) {
	plain, err := converter.GetDefaultDataConverter().ToPayload(secretInput)
	if err != nil {
		t.Fatal(err)
	}
	c := newCodec(t, newKey(t))
	var got sagaInput
	if err := payloadcodec.DataConverter(c).FromPayload(plain, &got); err != nil || got != secretInput {
		t.Errorf("plaintext payload: %+v, %v", got, err)
	}
}

func TestTamperedPayloadsAreRefused(t *testing.T) {
	k := newKey(t)
	c := newCodec(t, k, newKey(t))
	tests := []struct {
		name    string
		tamper  func(p *commonpb.Payload)
		wantErr string
	}{
		{"flipped_ciphertext_bit", func(p *commonpb.Payload) { p.Data[len(p.Data)-1] ^= 1 }, "altered"},
		{"flipped_nonce_bit", func(p *commonpb.Payload) { p.Data[0] ^= 1 }, "altered"},
		{"truncated", func(p *commonpb.Payload) { p.Data = p.Data[:10] }, "too short"},
		{"unknown_key_id", func(p *commonpb.Payload) { p.Metadata[payloadcodec.MetadataKeyID] = []byte("20200101-deadbeef") }, `key ID "20200101-deadbeef"`},
		{"missing_key_id", func(p *commonpb.Payload) { delete(p.Metadata, payloadcodec.MetadataKeyID) }, `key ID ""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := encode(t, c, secretInput)
			tt.tamper(p)
			_, err := c.Decode([]*commonpb.Payload{p})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
	// Another key's ciphertext relabelled with this key's ID: the key ID
	// is authenticated, so it does not decrypt.
	other := newCodec(t, payloadcodec.Key{ID: "other", Secret: k.Secret})
	p := encode(t, other, secretInput)
	p.Metadata[payloadcodec.MetadataKeyID] = []byte(k.ID)
	if _, err := c.Decode([]*commonpb.Payload{p}); err == nil {
		t.Error("a payload relabelled with another key ID decrypted")
	}
}

func TestBadKeySetsAreRefused(t *testing.T) {
	k := newKey(t)
	tests := []struct {
		name    string
		keys    []payloadcodec.Key
		wantErr string
	}{
		{"empty", nil, "empty"},
		{"short_key", []payloadcodec.Key{{ID: "a", Secret: make([]byte, 16)}}, "AES-256 needs 32"},
		{"no_kid", []payloadcodec.Key{{Secret: k.Secret}}, "no kid"},
		{"duplicate_kid", []payloadcodec.Key{k, k}, "twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := payloadcodec.New(payloadcodec.KeySet{Keys: tt.keys})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

// The key file is made on first use readable by its owner only, kept
// across calls, refused when others may read it, and a rotation puts a new
// current key before the old ones.
func TestKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "codec", "keys.json")
	first, err := payloadcodec.EnsureKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("key file mode = %04o, want 0600", perm)
	}
	again, err := payloadcodec.EnsureKeyFile(path)
	if err != nil || len(again.Keys) != 1 || again.Keys[0].ID != first.Keys[0].ID {
		t.Fatalf("second EnsureKeyFile = %v, %v; want the same single key %s", again.IDs(), err, first.Keys[0].ID)
	}
	k, err := payloadcodec.Rotate(path, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	rotated, err := payloadcodec.LoadKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if ids := rotated.IDs(); len(ids) != 2 || ids[0] != k.ID || ids[1] != first.Keys[0].ID {
		t.Errorf("after rotation keys = %v, want [%s %s]", ids, k.ID, first.Keys[0].ID)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := payloadcodec.LoadKeyFile(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("key file readable by others: err = %v, want a chmod 600 hint", err)
	}
}
