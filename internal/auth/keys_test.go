package auth

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEnsureKeyPairKeepsTheKey(t *testing.T) {
	dir := t.TempDir()
	priv, pub := filepath.Join(dir, "auth", "issuer.key"), filepath.Join(dir, "auth", "issuer.pub")
	first, err := EnsureKeyPair(priv, pub)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(priv)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("private key file mode %o, want 600", perm)
	}
	// The public key file is rewritten from the private key when lost.
	if err := os.Remove(pub); err != nil {
		t.Fatal(err)
	}
	second, err := EnsureKeyPair(priv, pub)
	if err != nil {
		t.Fatal(err)
	}
	if !first.Private.Equal(second.Private) {
		t.Fatal("a second EnsureKeyPair made a new key: tokens of the first run would be refused")
	}
	loaded, err := LoadPublicKey(pub)
	if err != nil || !loaded.Equal(first.Public) {
		t.Fatalf("public key file = %v, %v", loaded, err)
	}
}

func TestLoadKeysRefusesTheWrongFile(t *testing.T) {
	dir := t.TempDir()
	kp, err := EnsureKeyPair(filepath.Join(dir, "k"), filepath.Join(dir, "k.pub"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		load    func(string) error
		path    string
		wantErr string
	}{
		{name: "public_as_private", load: func(p string) error { _, err := LoadPrivateKey(p); return err }, path: kp.PublicKeyFile, wantErr: "PRIVATE KEY"},
		{name: "private_as_public", load: func(p string) error { _, err := LoadPublicKey(p); return err }, path: kp.PrivateKeyFile, wantErr: "PUBLIC KEY"},
		{name: "missing", load: func(p string) error { _, err := LoadPublicKey(p); return err }, path: filepath.Join(dir, "nope"), wantErr: "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.load(tt.path); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("load %s = %v, want an error with %q", tt.path, err, tt.wantErr)
			}
		})
	}
}
