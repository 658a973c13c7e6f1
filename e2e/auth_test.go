package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sagatrace/sagatrace/internal/auth"
	"github.com/sagatrace/sagatrace/internal/component"
	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/services/order/orderapi"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
	"github.com/sagatrace/sagatrace/services/scoring/scoringapi"
)

// operatorTransport makes the tests an operator holding every scope: a
// request to one of the stack's services without an Authorization header
// gets a token for that service (audience) with all its scopes, minted
// with the stack's key. Installed on http.DefaultClient by startEnv, so
// every helper that reads the services works with authentication on, as
// the stack always runs; the tests of refusals use their own client.
type operatorTransport struct {
	base   http.RoundTripper
	byHost map[string]*auth.Transport
}

func newOperatorTransport(issuer *auth.Issuer, services map[string]string) *operatorTransport {
	t := &operatorTransport{base: http.DefaultTransport, byHost: map[string]*auth.Transport{}}
	for audience, base := range services {
		u, err := url.Parse(base)
		if err != nil {
			panic(err) // the stack's own URLs
		}
		t.byHost[u.Host] = &auth.Transport{Base: t.base, Source: issuer.Source(auth.Grant{
			Subject: "e2e-operator", Audience: []string{audience}, Scopes: component.Registry()[audience],
		})}
	}
	return t
}

func (t *operatorTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if at, ok := t.byHost[req.URL.Host]; ok {
		return at.RoundTrip(req)
	}
	return t.base.RoundTrip(req)
}

// mint returns a token of the stack's issuer for g (TTL 0: a minute).
func mint(t *testing.T, g auth.Grant) string {
	t.Helper()
	if g.TTL == 0 {
		g.TTL = time.Minute
	}
	tok, err := auth.NewIssuer(shared.stack.Keys.Private, "").Mint(g)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// Through the real stack: every service API refuses a request without a
// valid token (401) or without the operation's scope (403), as problem
// JSON, and a refused charge writes nothing.
func TestServiceAPIsRefuseCallersWithoutTheRightToken(t *testing.T) {
	s := shared.stack
	dtid := ids.NewDTID()
	charge := `{"dtid":"` + dtid + `","customer_id":"c-auth","amount_cents":100,"currency":"USD"}`
	_, otherKey, err := auth.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	forged, err := auth.NewIssuer(otherKey, "").Mint(auth.Grant{Subject: "mallory", Audience: []string{paymentapi.Audience},
		Scopes: []string{paymentapi.ScopeWrite}, TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, method, url, token, body string
		wantStatus                     int
		wantType                       string
	}{
		{name: "charge_without_token", method: "POST", url: s.Service(paymentapi.Audience).URL() + "/v1/payments", body: charge, wantStatus: 401, wantType: auth.TypeMissingToken},
		{name: "charge_with_forged_token", method: "POST", url: s.Service(paymentapi.Audience).URL() + "/v1/payments", token: forged, body: charge, wantStatus: 401, wantType: auth.TypeInvalidToken},
		{name: "charge_with_order_token", method: "POST", url: s.Service(paymentapi.Audience).URL() + "/v1/payments", body: charge, wantStatus: 401, wantType: auth.TypeInvalidToken,
			token: mint(t, auth.Grant{Subject: "e2e", Audience: []string{orderapi.Audience}, Scopes: []string{paymentapi.ScopeWrite}})},
		{name: "charge_with_read_scope", method: "POST", url: s.Service(paymentapi.Audience).URL() + "/v1/payments", body: charge, wantStatus: 403, wantType: auth.TypeInsufficientScope,
			token: mint(t, auth.Grant{Subject: "e2e", Audience: []string{paymentapi.Audience}, Scopes: []string{paymentapi.ScopeRead}})},
		{name: "orders_without_token", method: "GET", url: s.Service(orderapi.Audience).URL() + "/v1/orders", wantStatus: 401, wantType: auth.TypeMissingToken},
		{name: "scores_without_scope", method: "GET", url: s.Scoring.URL() + "/v1/scores?top=3", wantStatus: 403, wantType: auth.TypeInsufficientScope,
			token: mint(t, auth.Grant{Subject: "e2e", Audience: []string{scoringapi.Audience}})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), tt.method, tt.url, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set(ids.HeaderIdempotencyKey, "auth-"+dtid)
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req) // not the operator's client
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var p httpapi.Problem
			if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.wantStatus || resp.Header.Get("Content-Type") != httpapi.ContentTypeProblem || p.Slug() != tt.wantType {
				t.Errorf("%d %s %+v, want %d problem %s", resp.StatusCode, resp.Header.Get("Content-Type"), p, tt.wantStatus, tt.wantType)
			}
			if !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer ") {
				t.Errorf("WWW-Authenticate = %q", resp.Header.Get("WWW-Authenticate"))
			}
		})
	}
	var page paymentapi.Page
	getJSON(t, s.Service(paymentapi.Audience).URL()+"/v1/payments?dtid="+dtid, &page)
	if len(page.Items) != 0 {
		t.Errorf("refused charges wrote %d payments", len(page.Items))
	}
}
