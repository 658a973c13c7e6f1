package auth

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/sagatrace/sagatrace/services/order/orderapi"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
	"github.com/sagatrace/sagatrace/services/scoring/scoringapi"
)

func mustKey(t *testing.T) (ed25519.PublicKey, ed25519.PrivateKey) {
	t.Helper()
	pub, priv, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return pub, priv
}

func TestMintAndVerify(t *testing.T) {
	pub, priv := mustKey(t)
	_, otherPriv := mustKey(t)
	v, err := NewVerifier(Config{Keys: NewKeySet(pub)}, paymentapi.Audience)
	if err != nil {
		t.Fatal(err)
	}
	good := Grant{Subject: "saga-worker", Audience: []string{paymentapi.Audience, orderapi.Audience}, Scopes: []string{paymentapi.ScopeWrite, orderapi.ScopeWrite}, TTL: time.Minute}
	past := func(i *Issuer) *Issuer { i.now = func() time.Time { return time.Now().Add(-time.Hour) }; return i }
	future := func(i *Issuer) *Issuer { i.now = func() time.Time { return time.Now().Add(time.Hour) }; return i }
	tests := []struct {
		name       string
		issuer     *Issuer
		grant      Grant
		mangle     func(string) string
		wantReason string // "" means valid
	}{
		{name: "valid", issuer: NewIssuer(priv, ""), grant: good},
		// Another key claiming the service's key ID: the signature fails.
		{name: "bad_signature", issuer: forged(NewIssuer(otherPriv, ""), KeyID(pub)), grant: good, wantReason: "signature is invalid"},
		// Another key under its own ID: a key the service does not hold.
		{name: "unknown_key", issuer: NewIssuer(otherPriv, ""), grant: good, wantReason: "unknown kid"},
		{name: "ten_years", issuer: NewIssuer(priv, ""), grant: withTTL(good, 10*365*24*time.Hour), wantReason: "longer than the 24h0m0s"},
		{name: "a_day_and_a_second", issuer: NewIssuer(priv, ""), grant: withTTL(good, DefaultMaxLifetime+time.Second), wantReason: "exp − iat"},
		{name: "expired", issuer: past(NewIssuer(priv, "")), grant: good, wantReason: "expired"},
		{name: "not_yet_valid", issuer: future(NewIssuer(priv, "")), grant: good, wantReason: "not valid yet"},
		{name: "wrong_audience", issuer: NewIssuer(priv, ""), grant: Grant{Subject: "x", Audience: []string{scoringapi.Audience}, TTL: time.Minute}, wantReason: "audience"},
		{name: "wrong_issuer", issuer: NewIssuer(priv, "someone-else"), grant: good, wantReason: "unknown issuer"},
		{name: "malformed", issuer: NewIssuer(priv, ""), grant: good, mangle: func(string) string { return "not.a.jwt" }, wantReason: "malformed"},
		{name: "tampered_scope", issuer: NewIssuer(priv, ""), grant: good, mangle: tamper, wantReason: "signature is invalid"},
		{name: "alg_none", issuer: NewIssuer(priv, ""), grant: good, mangle: func(string) string { return unsigned(t) }, wantReason: "signature is invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := tt.issuer.Mint(tt.grant)
			if err != nil {
				t.Fatal(err)
			}
			if tt.mangle != nil {
				tok = tt.mangle(tok)
			}
			c, err := v.Verify(tok)
			if tt.wantReason == "" {
				if err != nil || c.Subject != "saga-worker" || !c.Has(paymentapi.ScopeWrite) || c.Has(paymentapi.ScopeRefund) {
					t.Fatalf("Verify = %+v, %v", c, err)
				}
				return
			}
			var te *TokenError
			if !errors.As(err, &te) || !strings.Contains(te.Reason, tt.wantReason) {
				t.Fatalf("Verify error = %v, want a TokenError with %q", err, tt.wantReason)
			}
		})
	}
}

func forged(i *Issuer, kid string) *Issuer { i.kid = kid; return i }

func withTTL(g Grant, ttl time.Duration) Grant { g.TTL = ttl; return g }

// The verifier caps a token's lifetime: exp − iat, or exp − now for a
// token without iat; the cap is configurable.
func TestVerifierCapsTheLifetime(t *testing.T) {
	pub, priv := mustKey(t)
	iss := NewIssuer(priv, "")
	noIAT := func(ttl time.Duration) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, jwt.MapClaims{
			"iss": DefaultIssuer, "sub": "cli", "aud": paymentapi.Audience, "exp": time.Now().Add(ttl).Unix(),
		})
		tok.Header["kid"] = KeyID(pub)
		s, err := tok.SignedString(priv)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	mint := func(ttl time.Duration) string {
		s, err := iss.Mint(Grant{Subject: "cli", Audience: []string{paymentapi.Audience}, TTL: ttl})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	const year = 365 * 24 * time.Hour
	tests := []struct {
		name        string
		maxLifetime time.Duration
		token       string
		wantReason  string // "" means valid
	}{
		{name: "default_a_day", token: mint(DefaultMaxLifetime)},
		{name: "default_ten_years", token: mint(10 * year), wantReason: "token lives 87600h0m0s (exp − iat), longer than the 24h0m0s this service accepts"},
		{name: "default_25h", token: mint(25 * time.Hour), wantReason: "longer than the 24h0m0s"},
		{name: "raised_25h", maxLifetime: 48 * time.Hour, token: mint(25 * time.Hour)},
		{name: "lowered_1h", maxLifetime: 10 * time.Minute, token: mint(time.Hour), wantReason: "longer than the 10m0s"},
		{name: "no_iat_short", token: noIAT(time.Hour)},
		{name: "no_iat_ten_years", token: noIAT(10 * year), wantReason: "(exp − now)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := NewVerifier(Config{Keys: NewKeySet(pub), MaxLifetime: tt.maxLifetime}, paymentapi.Audience)
			if err != nil {
				t.Fatal(err)
			}
			_, err = v.Verify(tt.token)
			if tt.wantReason == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			var te *TokenError
			if !errors.As(err, &te) || !errors.Is(err, ErrLifetimeTooLong) || !strings.Contains(te.Reason, tt.wantReason) {
				t.Fatalf("Verify error = %v, want ErrLifetimeTooLong with %q", err, tt.wantReason)
			}
		})
	}
	if _, err := NewVerifier(Config{Keys: NewKeySet(pub), MaxLifetime: -time.Second}, paymentapi.Audience); err == nil {
		t.Error("a negative maximum lifetime was accepted")
	}
}

// tamper widens the token's scope without re-signing it.
func tamper(tok string) string {
	parts := strings.Split(tok, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	payload = []byte(strings.Replace(string(payload), `"scope":"`, `"scope":"payments:refund `, 1))
	parts[1] = base64.RawURLEncoding.EncodeToString(payload)
	return strings.Join(parts, ".")
}

// unsigned is a token with alg "none", the classic forgery.
func unsigned(t *testing.T) string {
	tok, err := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{
		"iss": DefaultIssuer, "sub": "saga-worker", "aud": paymentapi.Audience, "scope": paymentapi.ScopeWrite,
		"iat": time.Now().Unix(), "exp": time.Now().Add(time.Minute).Unix(),
	}).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// A malformed grant is refused by Validate, and a registry refuses what
// its services would refuse, naming what it knows; each error names every
// fault at once.
func TestGrantValidateAndRegistryCheck(t *testing.T) {
	r := Registry{"payment": {"payments:read", "payments:write"}, "order": {"orders:read"}}
	tests := []struct {
		name    string
		check   func(Grant) error
		grant   Grant
		wantErr []string
	}{
		{name: "valid", check: Grant.Validate,
			grant: Grant{Subject: "cli", Audience: []string{paymentapi.Audience}, Scopes: []string{paymentapi.ScopeRead}, TTL: time.Hour}},
		{name: "everything_wrong", check: Grant.Validate, grant: Grant{Audience: []string{""}, Scopes: []string{"payments:read orders:read"}},
			wantErr: []string{"subject", "an audience is empty", `scope "payments:read orders:read" is empty or holds spaces`, "lifetime"}},
		{name: "no_audience", check: Grant.Validate, grant: Grant{Subject: "cli", TTL: time.Hour}, wantErr: []string{"needs an audience"}},
		{name: "registry_known", check: r.Check, grant: Grant{Audience: []string{"payment", "order"}, Scopes: []string{"payments:write", "orders:read"}}},
		{name: "registry_typos", check: r.Check, grant: Grant{Audience: []string{"payments"}, Scopes: []string{"payments:wirte"}},
			wantErr: []string{`unknown audience "payments"; known: order, payment`, `unknown scope "payments:wirte"; known: orders:read, payments:read, payments:write`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.check(tt.grant)
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			for _, w := range tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("err = %v, want it to mention %q", err, w)
				}
			}
		})
	}
}

func TestCallerScopes(t *testing.T) {
	c := Caller{Subject: "console", Scopes: []string{paymentapi.ScopeRead}}
	if !c.Has(paymentapi.ScopeRead) || c.Has(ScopeFaultsInject) {
		t.Errorf("Has is wrong for %+v", c)
	}
	if a := Anonymous(); !a.Has(ScopeFaultsInject) || !a.Has(paymentapi.ScopeWrite) {
		t.Error("the anonymous caller of a service with auth disabled lacks a scope")
	}
	if got := SplitList("payments:read, orders:read scores:read"); !slices.Equal(got, []string{paymentapi.ScopeRead, orderapi.ScopeRead, scoringapi.ScopeRead}) {
		t.Errorf("SplitList = %v", got)
	}
}
