package auth

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
)

func TestRenewTokenFileKeepsAFreshTokenForAFileSource(t *testing.T) {
	pub, priv := mustKey(t)
	iss := NewIssuer(priv, "")
	path := filepath.Join(t.TempDir(), "tokens", "payment.token")
	g := Grant{Subject: "order", Audience: []string{paymentapi.Audience}, Scopes: []string{paymentapi.ScopeRead}, TTL: 2 * time.Second}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- iss.RenewTokenFile(ctx, path, g) }()

	v, err := NewVerifier(Config{Keys: NewKeySet(pub)}, paymentapi.Audience)
	if err != nil {
		t.Fatal(err)
	}
	read := func() string {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if tok, err := FileSource(path).Token(t.Context()); err == nil {
				return tok
			}
		}
		t.Fatal("no token file written")
		return ""
	}
	first := read()
	c, err := v.Verify(first)
	if err != nil || c.Subject != "order" || !c.Has(paymentapi.ScopeRead) {
		t.Fatalf("token file holds %+v, %v; want order's payments:read token", c, err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("token file mode = %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	// Renewed at half its lifetime: a new token before the first expires.
	deadline := time.Now().Add(g.TTL)
	for read() == first {
		if time.Now().After(deadline) {
			t.Fatal("the token file was not renewed within the token's lifetime")
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("RenewTokenFile = %v, want nil when its context ends", err)
	}
}
