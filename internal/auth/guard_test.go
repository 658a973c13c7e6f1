package auth

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/httpserver"
	"github.com/sagatrace/sagatrace/internal/ratelimit"
	"github.com/sagatrace/sagatrace/services/order/orderapi"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
)

// guarded serves one read and one write route behind g; reached counts
// the requests that got to a handler (the "store").
func guarded(t *testing.T, g *Guard, limits ratelimit.Config, maxBody int64) (url string, reached *int) {
	t.Helper()
	lim, err := ratelimit.New(limits)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	mux := http.NewServeMux()
	mux.Handle("GET /v1/things", httpserver.Chain(func(w http.ResponseWriter, r *http.Request) error {
		n++
		c, _ := CallerFrom(r.Context())
		return httpserver.WriteJSON(w, http.StatusOK, map[string]string{"subject": c.Subject})
	}, g.Require(paymentapi.ScopeRead)))
	mux.Handle("POST /v1/things", httpserver.Chain(func(w http.ResponseWriter, r *http.Request) error {
		var body map[string]any
		if err := httpserver.DecodeJSON(w, r, &body, 1<<20); err != nil { // the guard's limit is the tighter one
			return err
		}
		n++
		return httpserver.WriteJSON(w, http.StatusCreated, body)
	}, g.Require(paymentapi.ScopeWrite), lim.PerCaller(CallerKey), httpserver.MaxBody(maxBody)))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL, &n
}

func send(t *testing.T, method, url, token, body string) (*http.Response, httpapi.Problem) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var p httpapi.Problem
	if resp.Header.Get("Content-Type") == httpapi.ContentTypeProblem {
		if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
			t.Fatal(err)
		}
	}
	return resp, p
}

func TestGuardRefusesBeforeTheHandler(t *testing.T) {
	pub, priv := mustKey(t)
	_, otherPriv := mustKey(t)
	g, err := NewGuard(Config{Keys: NewKeySet(pub)}, paymentapi.Audience)
	if err != nil {
		t.Fatal(err)
	}
	url, reached := guarded(t, g, ratelimit.Config{}, 64)
	mint := func(i *Issuer, aud string, scopes ...string) string {
		tok, err := i.Mint(Grant{Subject: "tester", Audience: []string{aud}, Scopes: scopes, TTL: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		return "Bearer " + tok
	}
	iss := NewIssuer(priv, "")
	expired := NewIssuer(priv, "")
	expired.now = func() time.Time { return time.Now().Add(-time.Hour) }
	tests := []struct {
		name       string
		method     string
		auth       string
		body       string
		wantStatus int
		wantType   string
		wantWWW    string // substring of WWW-Authenticate
	}{
		{name: "missing_token", method: "POST", body: `{`, wantStatus: 401, wantType: TypeMissingToken, wantWWW: `Bearer realm="payment", scope="payments:write"`},
		{name: "basic_scheme", method: "POST", auth: "Basic dXNlcjpwYXNz", body: `{}`, wantStatus: 401, wantType: TypeMissingToken, wantWWW: "Bearer"},
		{name: "empty_bearer", method: "GET", auth: "Bearer ", wantStatus: 401, wantType: TypeMissingToken, wantWWW: "Bearer"},
		{name: "garbage", method: "GET", auth: "Bearer abc", wantStatus: 401, wantType: TypeInvalidToken, wantWWW: `error="invalid_token"`},
		{name: "bad_signature", method: "POST", auth: mint(NewIssuer(otherPriv, ""), paymentapi.Audience, paymentapi.ScopeWrite), body: `{}`, wantStatus: 401, wantType: TypeInvalidToken, wantWWW: "signature"},
		{name: "expired", method: "POST", auth: mint(expired, paymentapi.Audience, paymentapi.ScopeWrite), body: `{}`, wantStatus: 401, wantType: TypeInvalidToken, wantWWW: "expired"},
		{name: "wrong_audience", method: "GET", auth: mint(iss, orderapi.Audience, paymentapi.ScopeRead), wantStatus: 401, wantType: TypeInvalidToken, wantWWW: "audience"},
		{name: "wrong_issuer", method: "GET", auth: mint(NewIssuer(priv, "evil"), paymentapi.Audience, paymentapi.ScopeRead), wantStatus: 401, wantType: TypeInvalidToken, wantWWW: "issuer"},
		{name: "read_scope_cannot_write", method: "POST", auth: mint(iss, paymentapi.Audience, paymentapi.ScopeRead), body: `{`, wantStatus: 403, wantType: TypeInsufficientScope, wantWWW: `error="insufficient_scope", scope="payments:write"`},
		{name: "write_scope_cannot_read", method: "GET", auth: mint(iss, paymentapi.Audience, paymentapi.ScopeWrite), wantStatus: 403, wantType: TypeInsufficientScope, wantWWW: `scope="payments:read"`},
		{name: "body_over_the_limit", method: "POST", auth: mint(iss, paymentapi.Audience, paymentapi.ScopeWrite), body: `{"a":"` + strings.Repeat("x", 100) + `"}`, wantStatus: 413, wantType: httpapi.TypeBodyTooLarge},
		{name: "read_ok", method: "GET", auth: mint(iss, paymentapi.Audience, paymentapi.ScopeRead), wantStatus: 200},
		{name: "write_ok", method: "POST", auth: mint(iss, paymentapi.Audience, paymentapi.ScopeWrite), body: `{"a":1}`, wantStatus: 201},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := *reached
			resp, p := send(t, tt.method, url+"/v1/things", tt.auth, tt.body)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d (%+v), want %d", resp.StatusCode, p, tt.wantStatus)
			}
			if tt.wantType == "" {
				if *reached != before+1 {
					t.Error("an admitted request did not reach the handler")
				}
				return
			}
			if *reached != before {
				t.Error("a refused request reached the handler")
			}
			if p.Slug() != tt.wantType || p.Status != tt.wantStatus {
				t.Errorf("problem %+v, want type %s", p, tt.wantType)
			}
			if www := resp.Header.Get("WWW-Authenticate"); !strings.Contains(www, tt.wantWWW) {
				t.Errorf("WWW-Authenticate = %q, want it to contain %q", www, tt.wantWWW)
			}
		})
	}
}

func TestGuardLimitsEachCallersWrites(t *testing.T) {
	pub, priv := mustKey(t)
	g, err := NewGuard(Config{Keys: NewKeySet(pub)}, paymentapi.Audience)
	if err != nil {
		t.Fatal(err)
	}
	url, reached := guarded(t, g, ratelimit.Config{Rate: 0.5, Burst: 2}, 1024)
	iss := NewIssuer(priv, "")
	token := func(sub string) string {
		tok, _ := iss.Mint(Grant{Subject: sub, Audience: []string{paymentapi.Audience}, Scopes: []string{paymentapi.ScopeWrite, paymentapi.ScopeRead}, TTL: time.Minute})
		return "Bearer " + tok
	}
	for i := range 2 {
		if resp, p := send(t, "POST", url+"/v1/things", token("busy"), `{}`); resp.StatusCode != 201 {
			t.Fatalf("write %d within the burst: %d %+v", i+1, resp.StatusCode, p)
		}
	}
	resp, p := send(t, "POST", url+"/v1/things", token("busy"), `{}`)
	if resp.StatusCode != 429 || p.Slug() != ratelimit.TypeRateLimited || resp.Header.Get("Retry-After") != "2" {
		t.Fatalf("write over the burst: %d Retry-After %q %+v, want 429 with Retry-After 2 (0.5/s)", resp.StatusCode, resp.Header.Get("Retry-After"), p)
	}
	if *reached != 2 {
		t.Errorf("handler reached %d times, want 2", *reached)
	}
	if resp, _ := send(t, "POST", url+"/v1/things", token("quiet"), `{}`); resp.StatusCode != 201 {
		t.Errorf("another caller was limited by the first: %d", resp.StatusCode)
	}
	if resp, _ := send(t, "GET", url+"/v1/things", token("busy"), ""); resp.StatusCode != 200 {
		t.Errorf("reads are not rate-limited, got %d", resp.StatusCode)
	}
}

func TestNewGuardNeverSilentlyOpen(t *testing.T) {
	pub, _ := mustKey(t)
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{name: "no_key", cfg: Config{}, wantErr: "refusing to serve an open API"},
		{name: "key_and_disabled", cfg: Config{Keys: NewKeySet(pub), Disabled: true}, wantErr: "choose one"},
		{name: "disabled_on_purpose", cfg: Config{Disabled: true}},
		{name: "key", cfg: Config{Keys: NewKeySet(pub)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := NewGuard(tt.cfg, orderapi.Audience)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("NewGuard = %v, want an error with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || g.Disabled() != tt.cfg.Disabled {
				t.Fatalf("NewGuard = %v, %v", g, err)
			}
		})
	}
}

func TestDisabledGuardAdmitsAnonymous(t *testing.T) {
	g, err := NewGuard(Config{Disabled: true}, paymentapi.Audience)
	if err != nil {
		t.Fatal(err)
	}
	url, _ := guarded(t, g, ratelimit.Config{}, 64)
	resp, _ := send(t, "GET", url+"/v1/things", "", "")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d, want 200 without a token", resp.StatusCode)
	}
}
