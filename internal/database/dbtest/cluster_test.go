package dbtest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestServerBinaries(t *testing.T) {
	tests := []struct {
		name     string
		versions []string // installed under root
		want     string   // the version picked; "" for an error
	}{
		{name: "newest_version", versions: []string{"9.6", "16", "15"}, want: "16"},
		{name: "minor_versions", versions: []string{"9.6", "9.10"}, want: "9.10"},
		{name: "none_installed", versions: nil, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			for _, v := range tt.versions {
				bin := filepath.Join(root, v, "bin")
				if err := os.MkdirAll(bin, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(bin, "initdb"), nil, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			t.Setenv("PATH", "") // no initdb to fall back on
			got, err := serverBinaries(root)
			if tt.want == "" {
				// The message must say how to get them: the tests fail on it.
				if err == nil || !strings.Contains(err.Error(), "apt-get install -y postgresql") {
					t.Fatalf("serverBinaries = %q, %v; want an error saying how to install", got, err)
				}
				return
			}
			if want := filepath.Join(root, tt.want, "bin"); err != nil || got != want {
				t.Errorf("serverBinaries = %q, %v; want %q", got, err, want)
			}
		})
	}
}

// A database is empty, reachable at its URL, and another call makes
// another one.
func TestClusterHandsOutFreshDatabases(t *testing.T) {
	var c Cluster
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Error(err)
		}
		if _, err := os.Stat(c.dir); !os.IsNotExist(err) {
			t.Errorf("cluster directory %s left behind (%v)", c.dir, err)
		}
	})
	a, b := c.NewDatabase(t), c.NewDatabase(t)
	if a == b || !strings.HasPrefix(a, "postgres://") {
		t.Fatalf("URLs %q and %q, want two postgres:// URLs", a, b)
	}
	var n int
	if err := c.admin.QueryRow(`SELECT count(*) FROM pg_database WHERE datname LIKE 'st\_%'`).Scan(&n); err != nil || n != 2 {
		t.Errorf("%d test databases (%v), want 2", n, err)
	}
}
