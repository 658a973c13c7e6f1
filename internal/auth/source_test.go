package auth

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sagatrace/sagatrace/services/order/orderapi"
	"github.com/sagatrace/sagatrace/services/scoring/scoringapi"
)

func TestMintingSourceReusesThenRenews(t *testing.T) {
	pub, priv := mustKey(t)
	iss := NewIssuer(priv, "")
	now := time.Now()
	iss.now = func() time.Time { return now }
	src := iss.Source(Grant{Subject: "saga-worker", Audience: []string{orderapi.Audience}, Scopes: []string{orderapi.ScopeWrite}})
	a, err := src.Token(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(MintTTL/2 - time.Second)
	if b, _ := src.Token(t.Context()); b != a {
		t.Error("a fresh token was not reused")
	}
	now = now.Add(2 * time.Second)
	if c, _ := src.Token(t.Context()); c == a {
		t.Error("a token past half its lifetime was not renewed")
	}
	v, _ := NewVerifier(Config{Keys: NewKeySet(pub)}, orderapi.Audience)
	iss.now = time.Now
	tok, _ := iss.Source(Grant{Subject: "s", Audience: []string{orderapi.Audience}}).Token(t.Context())
	if _, err := v.Verify(tok); err != nil {
		t.Errorf("minted token does not verify: %v", err)
	}
}

func TestFileSourceRereadsTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(path, []byte("first\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	src := FileSource(path).(*fileSource)
	now := time.Now()
	src.now = func() time.Time { return now }
	if got, err := src.Token(t.Context()); err != nil || got != "first" {
		t.Fatalf("Token = %q, %v", got, err)
	}
	if err := os.WriteFile(path, []byte("second"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, _ := src.Token(t.Context()); got != "first" {
		t.Errorf("re-read before %s: %q", fileRereadEvery, got)
	}
	now = now.Add(fileRereadEvery)
	if got, _ := src.Token(t.Context()); got != "second" {
		t.Errorf("rotated token not picked up: %q", got)
	}
}

func TestClientAddsTheTokenWithoutTouchingTheRequest(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		got = append(got, r.Header.Get("Authorization"))
	}))
	t.Cleanup(srv.Close)
	hc := Client(srv.Client(), StaticToken("t-1"))
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL, nil)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if req.Header.Get("Authorization") != "" {
		t.Error("the caller's request was changed")
	}
	// A request that brings its own token keeps it.
	req, _ = http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL, nil)
	req.Header.Set("Authorization", "Bearer own")
	if resp, err = hc.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(got) != 2 || got[0] != "Bearer t-1" || got[1] != "Bearer own" {
		t.Errorf("server saw %q", got)
	}
	if Client(srv.Client(), nil) == nil {
		t.Error("no source must mean the client unchanged")
	}
}

func TestNewCredentials(t *testing.T) {
	dir := t.TempDir()
	kp, err := EnsureKeyPair(filepath.Join(dir, "k"), filepath.Join(dir, "k.pub"))
	if err != nil {
		t.Fatal(err)
	}
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte("tok"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		cfg       ClientConfig
		wantErr   bool
		wantNil   bool
		wantToken string // "" with a key: a minted token that verifies
	}{
		{name: "key_mints", cfg: ClientConfig{KeyFile: kp.PrivateKeyFile}},
		{name: "token_file", cfg: ClientConfig{TokenFile: tokenFile}, wantToken: "tok"},
		{name: "nothing_sends_no_token", wantNil: true},
		{name: "both_is_an_error", cfg: ClientConfig{KeyFile: kp.PrivateKeyFile, TokenFile: tokenFile}, wantErr: true},
		{name: "missing_key_file", cfg: ClientConfig{KeyFile: filepath.Join(dir, "nope")}, wantErr: true},
		{name: "public_key_given_as_private", cfg: ClientConfig{KeyFile: kp.PublicKeyFile}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewCredentials(tt.cfg, "console")
			if (err != nil) != tt.wantErr {
				t.Fatalf("NewCredentials = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			src := c.Source(scoringapi.Audience, scoringapi.ScopeRead)
			if tt.wantNil {
				if src != nil {
					t.Error("credentials without a key or token gave a source")
				}
				return
			}
			tok, err := src.Token(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantToken != "" {
				if tok != tt.wantToken {
					t.Errorf("token = %q", tok)
				}
				return
			}
			v, _ := NewVerifier(Config{Keys: NewKeySet(kp.Public)}, scoringapi.Audience)
			caller, err := v.Verify(tok)
			if err != nil || caller.Subject != "console" || !caller.Has(scoringapi.ScopeRead) {
				t.Errorf("minted token: %+v, %v", caller, err)
			}
		})
	}
}

// A token goes only to the origin the caller named: a redirect within it
// keeps the token, one to another host gets none, whichever way the
// client follows it.
func TestTransportSendsNoTokenOnARedirectToAnotherHost(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]string{} // path → Authorization, at the other host
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.URL.Path] = r.Header.Get("Authorization")
		mu.Unlock()
	}))
	t.Cleanup(other.Close)
	var sameHostAuth string
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/away":
			http.Redirect(w, r, other.URL+"/stolen", http.StatusFound)
		case "/away-307":
			http.Redirect(w, r, other.URL+"/stolen-307", http.StatusTemporaryRedirect)
		case "/here":
			http.Redirect(w, r, "/landed", http.StatusFound)
		case "/landed":
			mu.Lock()
			sameHostAuth = r.Header.Get("Authorization")
			mu.Unlock()
		}
	}))
	t.Cleanup(origin.Close)
	// The other host is 127.0.0.1 too, on another port: another origin.
	c := Client(&http.Client{}, StaticToken("secret"))
	for _, tt := range []struct{ path, method string }{{"/away", http.MethodGet}, {"/away-307", http.MethodPost}, {"/here", http.MethodGet}} {
		req, err := http.NewRequest(tt.method, origin.URL+tt.path, strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	mu.Lock()
	defer mu.Unlock()
	for _, p := range []string{"/stolen", "/stolen-307"} {
		if got, ok := seen[p]; !ok || got != "" {
			t.Errorf("the other host got %s with Authorization %q (reached: %v), want it reached without a token", p, got, ok)
		}
	}
	if sameHostAuth != "Bearer secret" {
		t.Errorf("a redirect within the origin carried Authorization %q, want the token", sameHostAuth)
	}
}
