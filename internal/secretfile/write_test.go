package secretfile

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWrite(t *testing.T) {
	tests := []struct {
		name    string
		perm    os.FileMode
		wantDir os.FileMode
	}{
		{name: "secret_in_a_private_directory", perm: 0o600, wantDir: 0o700},
		{name: "public_half_in_a_readable_directory", perm: 0o644, wantDir: 0o755},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "keys")
			path := filepath.Join(dir, "issuer.key")
			for _, content := range []string{"first", "second, longer than the first"} {
				if err := Write(path, []byte(content), tt.perm); err != nil {
					t.Fatal(err)
				}
				if got, err := os.ReadFile(path); err != nil || string(got) != content {
					t.Errorf("read back %q, %v; want %q", got, err, content)
				}
			}
			for p, want := range map[string]os.FileMode{path: tt.perm, dir: tt.wantDir} {
				info, err := os.Stat(p)
				if err != nil {
					t.Fatal(err)
				}
				if info.Mode().Perm() != want {
					t.Errorf("%s: mode %04o, want %04o", p, info.Mode().Perm(), want)
				}
			}
			// The rename leaves nothing behind for a reader to trip on.
			if entries, err := os.ReadDir(dir); err != nil || len(entries) != 1 {
				t.Errorf("the directory holds %v (%v), want the file alone", entries, err)
			}
		})
	}
}
