package auth

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// claims is a token's payload: the registered claims plus scope, a
// space-separated list as in OAuth 2.0 (RFC 8693 §4.2, RFC 9068).
type claims struct {
	jwt.RegisteredClaims
	Scope string `json:"scope,omitempty"`
}

// Grant is what a token says: who calls (Subject), which services it is
// for (Audience), what it may do there (Scopes), for how long (TTL).
type Grant struct {
	Subject  string
	Audience []string
	Scopes   []string
	TTL      time.Duration
}

// Validate reports every problem of g at once.
func (g Grant) Validate() error {
	var errs []error
	if strings.TrimSpace(g.Subject) == "" {
		errs = append(errs, errors.New("a token needs a subject (who calls)"))
	}
	if len(g.Audience) == 0 {
		errs = append(errs, errors.New("a token needs an audience (payment, order, scoring or console)"))
	}
	for _, a := range g.Audience {
		if strings.TrimSpace(a) == "" {
			errs = append(errs, errors.New("an audience is empty"))
		}
	}
	for _, s := range g.Scopes {
		if strings.TrimSpace(s) == "" || strings.ContainsAny(s, " \t\n") {
			errs = append(errs, fmt.Errorf("scope %q is empty or holds spaces (scopes are space-separated in a token)", s))
		}
	}
	if g.TTL <= 0 {
		errs = append(errs, fmt.Errorf("a token needs a positive lifetime, got %s", g.TTL))
	}
	return errors.Join(errs...)
}

// Issuer mints tokens with the private key.
type Issuer struct {
	key  ed25519.PrivateKey
	kid  string
	name string
	now  func() time.Time
}

// NewIssuer returns an issuer that signs with key as name ("" means
// DefaultIssuer), the iss claim the services expect. Its tokens name the
// key in their header (kid, KeyID of its public key), so a service
// holding several keys picks the right one.
func NewIssuer(key ed25519.PrivateKey, name string) *Issuer {
	if name == "" {
		name = DefaultIssuer
	}
	return &Issuer{key: key, kid: KeyID(key.Public().(ed25519.PublicKey)), name: name, now: time.Now}
}

// KeyID returns the kid the issuer's tokens carry.
func (i *Issuer) KeyID() string { return i.kid }

// WithClock returns a copy of i that mints as if now() were the time (tests
// of expired tokens; a clock-skewed issuer).
func (i *Issuer) WithClock(now func() time.Time) *Issuer {
	c := *i
	c.now = now
	return &c
}

// Mint returns a signed token for g.
func (i *Issuer) Mint(g Grant) (string, error) {
	if err := g.Validate(); err != nil {
		return "", err
	}
	now := i.now()
	c := claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    i.name,
			Subject:   g.Subject,
			Audience:  jwt.ClaimStrings(g.Audience),
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(g.TTL)),
			ID:        randomID(),
		},
		Scope: strings.Join(g.Scopes, " "),
	}
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c)
	t.Header["kid"] = i.kid
	s, err := t.SignedString(i.key)
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	return s, nil
}

func randomID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails since Go 1.24
	return hex.EncodeToString(b[:])
}

// Caller is who made a request, as its verified token says.
type Caller struct {
	Subject string
	Scopes  []string
	// Expires is when the token stops verifying (zero for Anonymous).
	Expires time.Time
	// unrestricted marks the anonymous caller of a service whose
	// authentication was disabled on purpose: it may do everything.
	unrestricted bool
}

// Anonymous is the caller of a service that runs with authentication
// disabled: it holds every scope.
func Anonymous() Caller { return Caller{Subject: "anonymous", unrestricted: true} }

// Has reports whether the caller holds scope.
func (c Caller) Has(scope string) bool { return c.unrestricted || slices.Contains(c.Scopes, scope) }

type callerKey struct{}

// WithCaller returns ctx carrying c.
func WithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerFrom returns the caller the guard put in ctx.
func CallerFrom(ctx context.Context) (Caller, bool) {
	c, ok := ctx.Value(callerKey{}).(Caller)
	return c, ok
}

// Permits returns a check that ctx's caller holds scope (for
// faulthttp.Gate.Permit).
func Permits(scope string) func(context.Context) bool {
	return func(ctx context.Context) bool {
		c, ok := CallerFrom(ctx)
		return ok && c.Has(scope)
	}
}

// Leeway is the clock skew tolerated between issuer and service.
const Leeway = 30 * time.Second

// DefaultMaxLifetime is the longest lifetime (exp − iat) a service accepts
// in a token unless configured otherwise: a day covers every token
// sagatrace mints (5 minutes for components, an hour by default for
// `sagatrace token`), and a leaked token is worthless by the next day.
const DefaultMaxLifetime = 24 * time.Hour

// ErrLifetimeTooLong is a token that lives longer than the verifier's
// maximum lifetime.
var ErrLifetimeTooLong = errors.New("token lifetime exceeds the maximum")

// Verifier checks tokens for one audience with the issuer's public keys.
type Verifier struct {
	audience    string
	parser      *jwt.Parser
	keys        KeySet
	maxLifetime time.Duration
	now         func() time.Time
}

// NewVerifier returns a verifier of tokens for audience, signed by a key
// of cfg.Keys, issued by cfg.Issuer ("" means DefaultIssuer), living at
// most cfg.MaxLifetime (0 means DefaultMaxLifetime).
func NewVerifier(cfg Config, audience string) (*Verifier, error) {
	if cfg.Keys.Len() == 0 {
		return nil, errors.New("auth: the verifier needs at least one Ed25519 public key")
	}
	if audience == "" {
		return nil, errors.New("auth: the verifier needs the service's audience")
	}
	if cfg.MaxLifetime < 0 {
		return nil, fmt.Errorf("auth: the maximum token lifetime must be positive, got %s", cfg.MaxLifetime)
	}
	issuer, maxLifetime := cfg.Issuer, cfg.MaxLifetime
	if issuer == "" {
		issuer = DefaultIssuer
	}
	if maxLifetime == 0 {
		maxLifetime = DefaultMaxLifetime
	}
	v := &Verifier{audience: audience, keys: cfg.Keys, maxLifetime: maxLifetime, now: time.Now}
	v.parser = jwt.NewParser(
		// Only EdDSA: a token may not choose "none" or HMAC with the
		// public key as the secret (the classic algorithm confusion).
		jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
		jwt.WithAudience(audience),
		jwt.WithIssuer(issuer),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(Leeway),
		jwt.WithTimeFunc(func() time.Time { return v.now() }),
	)
	return v, nil
}

// WithClock returns a copy of v that checks as if now() were the time.
func (v *Verifier) WithClock(now func() time.Time) *Verifier {
	c := *v
	c.now = now
	return &c
}

// Audience returns the audience the verifier accepts.
func (v *Verifier) Audience() string { return v.audience }

// Verify checks token's signature, key, issuer, audience and lifetime and
// returns its caller. The error is a *TokenError saying which check failed.
func (v *Verifier) Verify(token string) (Caller, error) {
	var c claims
	_, err := v.parser.ParseWithClaims(token, &c, v.keys.keyFor)
	if err != nil {
		return Caller{}, describe(err)
	}
	if strings.TrimSpace(c.Subject) == "" {
		return Caller{}, &TokenError{Reason: "token has no subject", Err: jwt.ErrTokenRequiredClaimMissing}
	}
	if err := v.checkLifetime(c.RegisteredClaims); err != nil {
		return Caller{}, err
	}
	return Caller{Subject: c.Subject, Scopes: strings.Fields(c.Scope), Expires: c.ExpiresAt.Time}, nil
}

// checkLifetime refuses a token that lives longer than the maximum: exp −
// iat, or, without iat, what is left of it (exp − now, less the clock
// skew). A stolen token is worth its lifetime; a 10-year one would be
// worth ten years, whoever minted it.
func (v *Verifier) checkLifetime(c jwt.RegisteredClaims) error {
	lifetime, what := c.ExpiresAt.Sub(v.now())-Leeway, "exp − now"
	if c.IssuedAt != nil {
		lifetime, what = c.ExpiresAt.Sub(c.IssuedAt.Time), "exp − iat"
	}
	if lifetime <= v.maxLifetime {
		return nil
	}
	return &TokenError{
		Reason: fmt.Sprintf("token lives %s (%s), longer than the %s this service accepts: mint a shorter one (sagatrace token --ttl)",
			lifetime.Round(time.Second), what, v.maxLifetime),
		Err: ErrLifetimeTooLong,
	}
}

// TokenError is a token Verify refused. Reason names the failed check in
// words fit for the client; Err is the library's error, for logs.
type TokenError struct {
	Reason string
	Err    error
}

func (e *TokenError) Error() string { return e.Reason + ": " + e.Err.Error() }

// Unwrap returns the library's error.
func (e *TokenError) Unwrap() error { return e.Err }

// describe names the first failed check of a token, without the library's
// wording (which varies between versions).
func describe(err error) *TokenError {
	for _, c := range []struct {
		target error
		msg    string
	}{
		{jwt.ErrTokenMalformed, "token is malformed"},
		{jwt.ErrTokenSignatureInvalid, "token signature is invalid"},
		{jwt.ErrTokenUnverifiable, "token cannot be verified"},
		{jwt.ErrTokenExpired, "token is expired"},
		{jwt.ErrTokenNotValidYet, "token is not valid yet"},
		{jwt.ErrTokenUsedBeforeIssued, "token is issued in the future"},
		{jwt.ErrTokenInvalidAudience, "token is not for this service (audience)"},
		{jwt.ErrTokenInvalidIssuer, "token is from an unknown issuer"},
		{jwt.ErrTokenRequiredClaimMissing, "token is missing a required claim"},
	} {
		if errors.Is(err, errUnknownKey) {
			return &TokenError{Reason: "token signature is by a key this service does not hold (unknown kid): " +
				"give the service the issuer's public key (--auth-public-key) or mint with a key it holds", Err: err}
		}
		if errors.Is(err, c.target) {
			return &TokenError{Reason: c.msg, Err: err}
		}
	}
	return &TokenError{Reason: "token is invalid", Err: err}
}
