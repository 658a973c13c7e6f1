package auth

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/sagatrace/sagatrace/internal/httpserver"
)

// Problem types of refused callers.
const (
	TypeMissingToken      = "missing-token"      // 401: no bearer token
	TypeInvalidToken      = "invalid-token"      // 401: bad signature, expired, wrong audience or issuer
	TypeInsufficientScope = "insufficient-scope" // 403: a valid token without the operation's scope
)

// AttrSubject is the server span attribute naming the caller.
const AttrSubject = "auth.subject"

// Config is how a service checks its callers.
type Config struct {
	// Keys check token signatures, by the kid of the token's header;
	// at least one is required unless Disabled. Several while keys rotate.
	Keys KeySet
	// Issuer is the iss claim tokens must carry; "" means DefaultIssuer.
	Issuer string
	// MaxLifetime is the longest lifetime (exp − iat) a token may have;
	// 0 means DefaultMaxLifetime.
	MaxLifetime time.Duration
	// Disabled serves every request as Anonymous, holding every scope.
	// Only ever on purpose: without a PublicKey a service refuses to start.
	Disabled bool
}

// Guard stands before every API route of one service: it checks the
// bearer token (401) and the route's scope (403) before the handler reads
// anything, and puts the caller it found into the request's context
// (CallerFrom). Rate limits and body limits are middleware of their own
// (ratelimit.Limiter.PerCaller, httpserver.MaxBody), chained after it.
type Guard struct {
	audience string
	verifier *Verifier // nil: authentication disabled
}

// NewGuard returns the guard of the service whose tokens have audience.
func NewGuard(cfg Config, audience string) (*Guard, error) {
	g := &Guard{audience: audience}
	switch {
	case cfg.Disabled && cfg.Keys.Len() > 0:
		return nil, fmt.Errorf("%s: authentication is both disabled and given a public key; choose one", audience)
	case cfg.Disabled:
		return g, nil
	case cfg.Keys.Len() == 0:
		return nil, fmt.Errorf("%s: no public key to check bearer tokens with, and authentication is not disabled: refusing to serve an open API", audience)
	}
	v, err := NewVerifier(cfg, audience)
	if err != nil {
		return nil, err
	}
	g.verifier = v
	return g, nil
}

// Disabled reports whether the guard lets everyone in.
func (g *Guard) Disabled() bool { return g.verifier == nil }

// Require admits only callers with a valid token holding scope.
func (g *Guard) Require(scope string) httpserver.Middleware {
	return func(h httpserver.HandlerFunc) httpserver.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) error {
			r, err := g.admit(w, r, scope)
			if err != nil {
				return err
			}
			return h(w, r)
		}
	}
}

// CallerKey names the request's caller for per-caller limits: the token's
// subject or, without authentication, the only name a caller has, its
// address. Use it after Require.
func CallerKey(r *http.Request) string {
	c, ok := CallerFrom(r.Context())
	if !ok || c.unrestricted {
		return "anonymous@" + remoteHost(r)
	}
	return c.Subject
}

// admit authenticates r's caller and checks scope. The answer to a refused
// caller carries WWW-Authenticate as RFC 6750 §3 describes it.
func (g *Guard) admit(w http.ResponseWriter, r *http.Request, scope string) (*http.Request, error) {
	c, err := g.authenticate(w, r, scope)
	if err != nil {
		return r, err
	}
	trace.SpanFromContext(r.Context()).SetAttributes(attribute.String(AttrSubject, c.Subject))
	return r.WithContext(WithCaller(r.Context(), c)), nil
}

func (g *Guard) authenticate(w http.ResponseWriter, r *http.Request, scope string) (Caller, error) {
	if g.verifier == nil {
		return Anonymous(), nil
	}
	token, ok := bearer(r.Header.Get("Authorization"))
	if !ok {
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm=%q, scope=%q`, g.audience, scope))
		return Caller{}, httpserver.Unauthenticated(TypeMissingToken, fmt.Sprintf(
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
		return Caller{}, httpserver.Unauthenticated(TypeInvalidToken, reason).Wrap(err)
	}
	if !c.Has(scope) {
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm=%q, error="insufficient_scope", scope=%q`, g.audience, scope))
		return Caller{}, httpserver.Forbidden(TypeInsufficientScope, fmt.Sprintf("the token of %s lacks scope %s", c.Subject, scope))
	}
	return c, nil
}

// BearerToken returns the token of r's "Authorization: Bearer" header.
func BearerToken(r *http.Request) (string, bool) { return bearer(r.Header.Get("Authorization")) }

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
