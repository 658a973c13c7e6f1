package auth

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A private key file its group or others may read is refused, saying how
// to fix it; the owner's alone, it loads.
func TestPrivateKeyReadableByOthersIsRefused(t *testing.T) {
	dir := t.TempDir()
	priv, pub := filepath.Join(dir, "issuer.key"), filepath.Join(dir, "issuer.pub")
	if _, err := EnsureKeyPair(priv, pub); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		mode    os.FileMode
		wantErr string
	}{
		{0o600, ""},
		{0o400, ""},
		{0o640, "chmod 600"},
		{0o644, "chmod 600"},
		{0o602, "chmod 600"},
	}
	for _, tt := range tests {
		if err := os.Chmod(priv, tt.mode); err != nil {
			t.Fatal(err)
		}
		_, err := LoadPrivateKey(priv)
		if (tt.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("mode %04o: err = %v, want %q", tt.mode, err, tt.wantErr)
		}
	}
}
