package auth

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/ratelimit"
)

// Problem types of refused callers.
const (
	TypeMissingToken      = "missing-token"      // 401: no bearer token
	TypeInvalidToken      = "invalid-token"      // 401: bad signature, expired, wrong audience or issuer
	TypeInsufficientScope = "insufficient-scope" // 403: a valid token without the operation's scope
	TypeRateLimited       = "rate-limited"       // 429: the caller is over its write rate
)

// AttrSubject is the server span attribute naming the caller.
const AttrSubject = "auth.subject"

// Config is how a service checks its callers.
type Config struct {
	// PublicKey checks token signatures; required unless Disabled.
	PublicKey ed25519.PublicKey
	// Issuer is the iss claim tokens must carry; "" means DefaultIssuer.
	Issuer string
	// Disabled serves every request as Anonymous, holding every scope.
	// Only ever on purpose: without a PublicKey a service refuses to start.
	Disabled bool
}

// Guard stands before every API route of one service: it checks the
// bearer token (401) and the route's scope (403) before the handler reads
// anything, then, for writes, the caller's rate (429) and the body's size
// (413). The caller it found is in the request's context (CallerFrom).
type Guard struct {
	audience string
	verifier *Verifier // nil: authentication disabled
	limiter  *ratelimit.Limiter
	maxBody  int64
}

// NewGuard returns the guard of the service whose tokens have audience,
// limiting each caller's writes by limits and write bodies to maxBody bytes.
func NewGuard(cfg Config, audience string, limits ratelimit.Config, maxBody int64) (*Guard, error) {
	var errs []error
	g := &Guard{audience: audience, maxBody: maxBody}
	switch {
	case cfg.Disabled && cfg.PublicKey != nil:
		errs = append(errs, fmt.Errorf("%s: authentication is both disabled and given a public key; choose one", audience))
	case cfg.Disabled:
	case cfg.PublicKey == nil:
		errs = append(errs, fmt.Errorf("%s: no public key to check bearer tokens with, and authentication is not disabled: refusing to serve an open API", audience))
	default:
		v, err := NewVerifier(cfg.PublicKey, cfg.Issuer, audience)
		if err != nil {
			errs = append(errs, err)
		}
		g.verifier = v
	}
	if maxBody <= 0 {
		errs = append(errs, fmt.Errorf("%s: the body limit must be positive, got %d", audience, maxBody))
	}
	lim, err := ratelimit.New(limits)
	if err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", audience, err))
	}
	g.limiter = lim
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return g, nil
}

// Disabled reports whether the guard lets everyone in.
func (g *Guard) Disabled() bool { return g.verifier == nil }

// Read guards a read: a valid token holding scope.
func (g *Guard) Read(scope string, h httpapi.HandlerFunc) httpapi.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		r, _, err := g.admit(w, r, scope)
		if err != nil {
			return err
		}
		return h(w, r)
	}
}

// Write guards a write: a valid token holding scope, then the caller's
// rate, then the body limit (a declared length at once, a streamed body
// when read).
func (g *Guard) Write(scope string, h httpapi.HandlerFunc) httpapi.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		r, c, err := g.admit(w, r, scope)
		if err != nil {
			return err
		}
		key := c.Subject
		if c.unrestricted {
			// Without tokens the only name of a caller is its address.
			key = "anonymous@" + remoteHost(r)
		}
		if ok, wait := g.limiter.Allow(key); !ok {
			secs := ratelimit.RetryAfterSeconds(wait)
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			lc := g.limiter.Config()
			return httpapi.TooManyRequests(TypeRateLimited, fmt.Sprintf(
				"%s sends more than %g writes per second (burst %d); retry after %d s", key, lc.Rate, lc.Burst, secs))
		}
		if err := httpapi.LimitBody(w, r, g.maxBody); err != nil {
			return err
		}
		return h(w, r)
	}
}

// admit authenticates r's caller and checks scope. The answer to a refused
// caller carries WWW-Authenticate as RFC 6750 §3 describes it.
func (g *Guard) admit(w http.ResponseWriter, r *http.Request, scope string) (*http.Request, Caller, error) {
	c, err := g.authenticate(w, r, scope)
	if err != nil {
		return r, Caller{}, err
	}
	trace.SpanFromContext(r.Context()).SetAttributes(attribute.String(AttrSubject, c.Subject))
	return r.WithContext(WithCaller(r.Context(), c)), c, nil
}

func (g *Guard) authenticate(w http.ResponseWriter, r *http.Request, scope string) (Caller, error) {
	if g.verifier == nil {
		return Anonymous(), nil
	}
	token, ok := bearer(r.Header.Get("Authorization"))
	if !ok {
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm=%q, scope=%q`, g.audience, scope))
		return Caller{}, httpapi.Unauthenticated(TypeMissingToken, fmt.Sprintf(
			"this API needs a bearer token (an Authorization: Bearer header with a JWT) for audience %s with scope %s; `sagatrace token` mints one",
			g.audience, scope))
	}
	c, err := g.verifier.Verify(token)
	if err != nil {
		reason := "token is invalid"
		var te *TokenError
		if errors.As(err, &te) {
			reason = te.Reason
		}
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm=%q, error="invalid_token", error_description=%q`, g.audience, reason))
		return Caller{}, httpapi.Unauthenticated(TypeInvalidToken, reason).Wrap(err)
	}
	if !c.Has(scope) {
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm=%q, error="insufficient_scope", scope=%q`, g.audience, scope))
		return Caller{}, httpapi.Forbidden(TypeInsufficientScope, fmt.Sprintf("the token of %s lacks scope %s", c.Subject, scope))
	}
	return c, nil
}

// bearer returns the token of an "Authorization: Bearer <token>" header
// (the scheme is case-insensitive, RFC 9110 §11.1).
func bearer(header string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", false
	}
	return token, true
}

func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
