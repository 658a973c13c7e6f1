package auth

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

// A token rotated on disk while the old one is cached: the server's 401
// makes the very next request carry the new token, not the cached one
// until the next re-read.
func TestUnauthorizedRenewsTheToken(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer second" {
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	defer srv.Close()
	path := filepath.Join(t.TempDir(), "token")
	write := func(token string) {
		if err := os.WriteFile(path, []byte(token), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("first")
	hc := Client(srv.Client(), FileSource(path))
	status := func() int {
		resp, err := hc.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	if got := status(); got != http.StatusUnauthorized {
		t.Fatalf("with the old token: %d, want 401", got)
	}
	write("second") // rotated; the source still caches "first"
	if got := status(); got != http.StatusOK {
		t.Errorf("the request after a 401 and a rotation: %d, want 200 with the re-read token", got)
	}
}
