package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
)

// TokenSource gives the bearer token of an outgoing request.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
}

// MintTTL is the lifetime of the tokens a component mints for itself:
// short, so a leaked one is soon worthless; re-minted well before expiry.
const MintTTL = 5 * time.Minute

// mintingSource mints a token for one grant and reuses it until it is
// past half its lifetime.
type mintingSource struct {
	issuer *Issuer
	grant  Grant

	mu      sync.Mutex
	token   string
	renewAt time.Time
}

// Source returns a TokenSource that mints tokens for g (TTL 0 means
// MintTTL) and reuses each for half its lifetime.
func (i *Issuer) Source(g Grant) TokenSource {
	if g.TTL == 0 {
		g.TTL = MintTTL
	}
	return &mintingSource{issuer: i, grant: g}
}

func (s *mintingSource) Token(context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.issuer.now()
	if s.token != "" && now.Before(s.renewAt) {
		return s.token, nil
	}
	t, err := s.issuer.Mint(s.grant)
	if err != nil {
		return "", err
	}
	s.token, s.renewAt = t, now.Add(s.grant.TTL/2)
	return t, nil
}

// fileSource reads a token from a file, again at most every
// fileRereadEvery, so that a token rotated on disk (a mounted secret) is
// picked up without a restart.
type fileSource struct {
	path string
	now  func() time.Time

	mu     sync.Mutex
	token  string
	readAt time.Time
}

const fileRereadEvery = 30 * time.Second

// FileSource returns a TokenSource that reads the token in path.
func FileSource(path string) TokenSource { return &fileSource{path: path, now: time.Now} }

func (s *fileSource) Token(context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if s.token != "" && now.Sub(s.readAt) < fileRereadEvery {
		return s.token, nil
	}
	b, err := os.ReadFile(s.path)
	if err != nil {
		return "", fmt.Errorf("read token: %w", err)
	}
	t := strings.TrimSpace(string(b))
	if t == "" {
		return "", fmt.Errorf("token file %s is empty", s.path)
	}
	s.token, s.readAt = t, now
	return t, nil
}

// StaticToken is a TokenSource of one fixed token.
type StaticToken string

// Token returns the token.
func (t StaticToken) Token(context.Context) (string, error) { return string(t), nil }

// Transport adds "Authorization: Bearer <token>" from Source to every
// request that has none, and sends it with Base.
type Transport struct {
	Base   http.RoundTripper
	Source TokenSource
}

// RoundTrip sends a copy of req with the token: a RoundTripper must not
// change the request it is given. A request an http.Client makes to
// follow a redirect to another origin (host, port, or from https to
// http) gets no token: a token is for the service the caller named, and a
// redirect — a compromised or misconfigured service, a proxy — must not
// hand it to a third party. The check is here, not in CheckRedirect,
// because here is where the token is added, whatever client carries it.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Header.Get("Authorization") != "" || redirectedAway(req) {
		return t.base().RoundTrip(req)
	}
	token, err := t.Source.Token(req.Context())
	if err != nil {
		if req.Body != nil {
			_ = req.Body.Close() // RoundTrip owns the body, even on error
		}
		return nil, fmt.Errorf("bearer token: %w", err)
	}
	req = req.Clone(req.Context())
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := t.base().RoundTrip(req)
	// A 401 means the token expired or its key rotated: the next request
	// (the caller's retry) gets a fresh one instead of the cached one.
	if err == nil && resp.StatusCode == http.StatusUnauthorized {
		if r, ok := t.Source.(renewer); ok {
			r.renew()
		}
	}
	return resp, err
}

// redirectedAway reports whether req follows a redirect (the client sets
// req.Response to the answer that redirected) to an origin other than the
// first request's.
func redirectedAway(req *http.Request) bool {
	first := req
	for first.Response != nil && first.Response.Request != nil {
		first = first.Response.Request
	}
	if first == req {
		return false
	}
	return req.URL.Host != first.URL.Host || (first.URL.Scheme == "https" && req.URL.Scheme != "https")
}

// renewer is a TokenSource that caches its token and can drop it.
type renewer interface{ renew() }

func (s *mintingSource) renew() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.token = ""
}

func (s *fileSource) renew() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.token = ""
}

func (t *Transport) base() http.RoundTripper {
	if t.Base != nil {
		return t.Base
	}
	return http.DefaultTransport
}

// Client returns a copy of hc whose requests carry tokens from src; the
// copy shares hc's transport, so its connection pool. A nil src returns hc.
// Make one per service called: a token is for one audience, and must not
// reach anyone else (a tracing backend read with the same client).
func Client(hc *http.Client, src TokenSource) *http.Client {
	if src == nil {
		return hc
	}
	c := *hc
	c.Transport = &Transport{Base: hc.Transport, Source: src}
	return &c
}

// ClientConfig says where a component calling the services gets its
// tokens: it mints short-lived ones with the issuer's private key
// (KeyFile), or sends the one in TokenFile (a token whose audience lists
// every service the component calls, with the scopes it needs there).
type ClientConfig struct {
	KeyFile   string
	TokenFile string
	// Issuer is the iss claim of minted tokens; "" means DefaultIssuer.
	Issuer string
}

// Credentials hand out a component's tokens, per service.
type Credentials struct {
	subject string
	issuer  *Issuer
	file    TokenSource
}

// NewCredentials loads cfg for a component named subject. With neither a
// key nor a token file it returns nil credentials, whose requests carry
// no token (for services running with authentication disabled).
func NewCredentials(cfg ClientConfig, subject string) (*Credentials, error) {
	switch {
	case cfg.KeyFile != "" && cfg.TokenFile != "":
		return nil, errors.New("give the issuer's private key or a token file, not both")
	case cfg.KeyFile != "":
		key, err := LoadPrivateKey(cfg.KeyFile)
		if err != nil {
			return nil, err
		}
		return &Credentials{subject: subject, issuer: NewIssuer(key, cfg.Issuer)}, nil
	case cfg.TokenFile != "":
		src := FileSource(cfg.TokenFile)
		if _, err := src.Token(context.Background()); err != nil {
			return nil, err
		}
		return &Credentials{subject: subject, file: src}, nil
	default:
		return nil, nil
	}
}

// Source returns the token source for calls to audience that need scopes.
// Nil credentials give a nil source (no token).
func (c *Credentials) Source(audience string, scopes ...string) TokenSource {
	switch {
	case c == nil:
		return nil
	case c.issuer != nil:
		return c.issuer.Source(Grant{Subject: c.subject, Audience: []string{audience}, Scopes: scopes})
	default:
		return c.file
	}
}

// Client returns hc sending tokens for audience with scopes (hc itself for
// nil credentials).
func (c *Credentials) Client(hc *http.Client, audience string, scopes ...string) *http.Client {
	return Client(hc, c.Source(audience, scopes...))
}
