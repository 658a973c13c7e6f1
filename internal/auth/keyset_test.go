package auth

import (
	"crypto/ed25519"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
)

// The kid is the RFC 7638 thumbprint: the RFC 8037 §A.3 example key has
// the thumbprint the RFC gives.
func TestKeyIDIsTheJWKThumbprint(t *testing.T) {
	x, err := base64.RawURLEncoding.DecodeString("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := KeyID(ed25519.PublicKey(x)), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"; got != want {
		t.Errorf("KeyID = %s, want %s", got, want)
	}
}

// Rotation without downtime: the services hold the old key and the new
// one (a directory of *.pub files), issuers move to the new key, tokens of
// both verify; once the old key's file is removed, its tokens are refused
// and the new key's still verify. A token minted before key IDs (no kid)
// verifies with any key of the set.
func TestKeysRotateWithoutDowntime(t *testing.T) {
	dir := t.TempDir()
	oldKP, err := EnsureKeyPair(filepath.Join(t.TempDir(), "old.key"), filepath.Join(dir, "old.pub"))
	if err != nil {
		t.Fatal(err)
	}
	grant := Grant{Subject: "saga-worker", Audience: []string{paymentapi.Audience}, TTL: time.Minute}
	mint := func(kp KeyPair) string {
		tok, err := NewIssuer(kp.Private, "").Mint(grant)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	legacy := func(kp KeyPair) string { // no kid in the header
		tok, err := jwt.NewWithClaims(jwt.SigningMethodEdDSA, jwt.MapClaims{
			"iss": DefaultIssuer, "sub": "old-worker", "aud": paymentapi.Audience,
			"iat": time.Now().Unix(), "exp": time.Now().Add(time.Minute).Unix(),
		}).SignedString(kp.Private)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	verify := func(step, tok string, want bool) {
		t.Helper()
		keys, err := LoadKeySet(dir)
		if err != nil {
			t.Fatal(err)
		}
		v, err := NewVerifier(Config{Keys: keys}, paymentapi.Audience)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.Verify(tok); (err == nil) != want {
			t.Errorf("%s: Verify = %v, want accepted %v", step, err, want)
		}
	}

	oldTok := mint(oldKP)
	verify("before: old key", oldTok, true)
	verify("before: no kid", legacy(oldKP), true)

	newKP, err := EnsureKeyPair(filepath.Join(t.TempDir(), "new.key"), filepath.Join(dir, "new.pub"))
	if err != nil {
		t.Fatal(err)
	}
	newTok := mint(newKP)
	verify("both: old key", oldTok, true)
	verify("both: new key", newTok, true)
	verify("both: no kid, new key", legacy(newKP), true)

	if err := os.Remove(oldKP.PublicKeyFile); err != nil {
		t.Fatal(err)
	}
	verify("after: old key", oldTok, false)
	verify("after: no kid, old key", legacy(oldKP), false)
	verify("after: new key", newTok, true)
}

func TestLoadKeySet(t *testing.T) {
	dir := t.TempDir()
	a, err := EnsureKeyPair(filepath.Join(dir, "a.key"), filepath.Join(dir, "a.pub"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := EnsureKeyPair(filepath.Join(dir, "b.key"), filepath.Join(dir, "sub", "b.pub"))
	if err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	tests := []struct {
		name    string
		paths   []string
		want    []ed25519.PublicKey
		wantErr string
	}{
		{name: "one_file", paths: []string{a.PublicKeyFile}, want: []ed25519.PublicKey{a.Public}},
		{name: "directory_takes_pub_files_only", paths: []string{dir}, want: []ed25519.PublicKey{a.Public}},
		{name: "comma_separated", paths: []string{a.PublicKeyFile + ", " + filepath.Join(dir, "sub")}, want: []ed25519.PublicKey{a.Public, b.Public}},
		{name: "repeated", paths: []string{a.PublicKeyFile, b.PublicKeyFile}, want: []ed25519.PublicKey{a.Public, b.Public}},
		{name: "missing", paths: []string{filepath.Join(dir, "nope.pub")}, wantErr: "no such file"},
		{name: "empty_directory", paths: []string{empty}, wantErr: "holds no *.pub file"},
		{name: "private_key_given", paths: []string{a.PrivateKeyFile}, wantErr: "PUBLIC KEY"},
		{name: "nothing", paths: []string{""}, wantErr: "no public key file given"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := LoadKeySet(tt.paths...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("LoadKeySet = %v, want an error with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.Len() != len(tt.want) {
				t.Fatalf("set holds %v, want %d keys", s.IDs(), len(tt.want))
			}
			for _, k := range tt.want {
				if _, ok := s.byID[KeyID(k)]; !ok {
					t.Errorf("set %v lacks key %s", s.IDs(), KeyID(k))
				}
			}
		})
	}
}
