package component

import (
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sagatrace/sagatrace/internal/auth"
	"github.com/sagatrace/sagatrace/services/order/orderapi"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
	"github.com/sagatrace/sagatrace/workflows"
)

// The service list and the saga's step table are written separately; this
// holds them to each other, so a step added to one is not forgotten in the
// other: every service a step calls is started, and its token registry
// knows every scope the worker asks for there.
func TestServicesCoverTheStepTable(t *testing.T) {
	seen := map[string]bool{}
	ports := map[int]bool{}
	for _, svc := range Services() {
		if svc.Name == "" || svc.Port <= 0 || svc.Collection == "" || svc.handler == nil || len(svc.Scopes) == 0 {
			t.Errorf("service %+v is incomplete", svc)
		}
		if seen[svc.Name] || ports[svc.Port] {
			t.Errorf("service %s or port %d listed twice", svc.Name, svc.Port)
		}
		seen[svc.Name], ports[svc.Port] = true, true
		if got, ok := ServiceNamed(svc.Name); !ok || got.Name != svc.Name {
			t.Errorf("ServiceNamed(%s) = %+v, %v", svc.Name, got, ok)
		}
	}
	registry := Registry()
	steps := workflows.OrderSagaSteps()
	for _, audience := range workflows.Audiences(steps) {
		if !seen[audience] {
			t.Errorf("the saga calls %s, which Services does not start", audience)
		}
		for _, scope := range workflows.WorkerScopes(steps, audience) {
			if !slices.Contains(registry[audience], scope) {
				t.Errorf("the worker asks %s for scope %s, which the registry does not know", audience, scope)
			}
		}
		if err := registry.Check(auth.Grant{Audience: []string{audience}, Scopes: append(workflows.WorkerScopes(steps, audience), auth.ScopeFaultsInject)}); err != nil {
			t.Errorf("the worker's token for %s: %v", audience, err)
		}
	}
	if _, ok := ServiceNamed("shipping"); ok {
		t.Error("ServiceNamed found a service that is not listed")
	}
}

// A service that calls another is started after it (`sagatrace dev`
// passes the called one's URL), and the scopes it needs there are ones
// the called service checks.
func TestCallsAreToServicesStartedBefore(t *testing.T) {
	started := map[string]bool{}
	registry := Registry()
	for _, svc := range Services() {
		if svc.Calls != "" {
			if !started[svc.Calls] {
				t.Errorf("%s calls %s, which is not listed before it", svc.Name, svc.Calls)
			}
			if err := registry.Check(auth.Grant{Audience: []string{svc.Calls}, Scopes: svc.CallScopes}); len(svc.CallScopes) == 0 || err != nil {
				t.Errorf("%s's scopes at %s %v: %v", svc.Name, svc.Calls, svc.CallScopes, err)
			}
		}
		started[svc.Name] = true
	}
}

// The order service does not start without a usable way to read payments,
// and says which flag is wrong.
func TestOrderStartNeedsThePaymentService(t *testing.T) {
	dir := t.TempDir()
	keys, err := auth.EnsureKeyPair(filepath.Join(dir, "issuer.key"), filepath.Join(dir, "issuer.pub"))
	if err != nil {
		t.Fatal(err)
	}
	iss := auth.NewIssuer(keys.Private, "")
	readPayments := auth.Grant{Subject: "order", Audience: []string{paymentapi.Audience}, Scopes: []string{paymentapi.ScopeRead}}
	tokenFile := func(name string, g auth.Grant, now time.Time) string {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := iss.WithClock(func() time.Time { return now }).WriteTokenFile(path, g); err != nil {
			t.Fatal(err)
		}
		return path
	}
	otherAudience, noScope := readPayments, readPayments
	otherAudience.Audience = []string{orderapi.Audience}
	noScope.Scopes = []string{paymentapi.ScopeWrite}
	valid := tokenFile("valid.token", readPayments, time.Now())
	svc, _ := ServiceNamed(orderapi.Audience)
	tests := []struct {
		name     string
		calls    Upstream
		disabled bool
		want     []string // in the error; none: it starts
	}{
		{name: "valid", calls: Upstream{URL: "http://127.0.0.1:8081", TokenFile: valid}},
		{name: "nothing", want: []string{"order: --payment-url is required", "order: --payment-token-file is required"}},
		{name: "not_a_url", calls: Upstream{URL: "payment:8081", TokenFile: valid}, want: []string{`--payment-url "payment:8081" is not an http(s) base URL`}},
		{name: "no_token_file", calls: Upstream{URL: "http://127.0.0.1:8081", TokenFile: filepath.Join(dir, "missing.token")},
			want: []string{"--payment-token-file: read token"}},
		{name: "another_audience", calls: Upstream{URL: "http://127.0.0.1:8081", TokenFile: tokenFile("order.token", otherAudience, time.Now())},
			want: []string{"--payment-token-file: the token in", "is not valid for the payment service"}},
		{name: "expired", calls: Upstream{URL: "http://127.0.0.1:8081", TokenFile: tokenFile("old.token", readPayments, time.Now().Add(-time.Hour))},
			want: []string{"is not valid for the payment service", "expired"}},
		{name: "without_the_scope", calls: Upstream{URL: "http://127.0.0.1:8081", TokenFile: tokenFile("write.token", noScope, time.Now())},
			want: []string{"--payment-token-file: the token in", "lacks scope payments:read"}},
		{name: "auth_disabled_needs_no_token", calls: Upstream{URL: "http://127.0.0.1:8081"}, disabled: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sa := ServiceAuth{PublicKeyFile: keys.PublicKeyFile}
			if tt.disabled {
				sa = ServiceAuth{Disabled: true}
			}
			r, err := svc.Start(t.Context(), ServiceConfig{
				Common: Common{TracingDisabled: true, Logger: slog.New(slog.DiscardHandler)},
				Listen: "127.0.0.1:0", DatabaseURL: filepath.Join(t.TempDir(), "order.db"), Auth: sa, Calls: tt.calls,
			})
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Start = %v, want started", err)
				}
				if err := r.Stop(t.Context()); err != nil {
					t.Error(err)
				}
				return
			}
			if err == nil {
				_ = r.Stop(t.Context())
				t.Fatalf("Start succeeded, want an error with %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Start = %v, want it to say %q", err, w)
				}
			}
		})
	}
}
