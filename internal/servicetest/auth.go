package servicetest

import (
	"crypto/ed25519"
	"sync"
	"testing"
	"time"

	"github.com/sagatrace/sagatrace/internal/auth"
	"github.com/sagatrace/sagatrace/services/order/orderapi"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
	"github.com/sagatrace/sagatrace/services/scoring/scoringapi"
)

// TestIssuer is the iss claim of the rig's tokens.
const TestIssuer = "sagatrace-test"

// testKey is the rig's issuer key, one per test binary: Ed25519 keys are
// cheap, but one key lets a test mint for any Env it starts.
var testKey = sync.OnceValues(func() (ed25519.PrivateKey, error) {
	_, priv, err := auth.GenerateKey()
	return priv, err
})

func mustKey(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	k, err := testKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// AuthConfig is the auth.Config of a service under test: it accepts the
// tokens Issuer mints.
func AuthConfig(t testing.TB) auth.Config {
	return auth.Config{Keys: auth.NewKeySet(mustKey(t).Public().(ed25519.PublicKey)), Issuer: TestIssuer}
}

// Issuer mints tokens that AuthConfig's services accept.
func Issuer(t testing.TB) *auth.Issuer { return IssuerNamed(t, TestIssuer) }

// IssuerNamed signs with the rig's key but names another issuer: its
// tokens are refused for their iss claim alone.
func IssuerNamed(t testing.TB, name string) *auth.Issuer { return auth.NewIssuer(mustKey(t), name) }

// Bearer returns an Authorization header value for g (TTL 0: a minute).
func Bearer(t testing.TB, g auth.Grant) string {
	t.Helper()
	if g.TTL == 0 {
		g.TTL = time.Minute
	}
	if g.Subject == "" {
		g.Subject = "servicetest"
	}
	tok, err := Issuer(t).Mint(g)
	if err != nil {
		t.Fatal(err)
	}
	return "Bearer " + tok
}

// AllScopes returns an Authorization header value holding every scope of
// payment, order and scoring, valid for an hour: what the rig's requests
// carry.
func AllScopes(t testing.TB) string {
	t.Helper()
	return Bearer(t, auth.Grant{
		Audience: []string{paymentapi.Audience, orderapi.Audience, scoringapi.Audience},
		Scopes: []string{
			paymentapi.ScopeWrite, paymentapi.ScopeRefund, paymentapi.ScopeRead,
			orderapi.ScopeWrite, orderapi.ScopeCancel, orderapi.ScopeRead,
			scoringapi.ScopeRead, auth.ScopeFaultsInject,
		},
		TTL: time.Hour,
	})
}
