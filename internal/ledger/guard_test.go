package ledger_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sagatrace/sagatrace/internal/auth"
	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/ledger"
	"github.com/sagatrace/sagatrace/internal/ratelimit"
	"github.com/sagatrace/sagatrace/internal/servicetest"
	"github.com/sagatrace/sagatrace/services/order/orderapi"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
)

// tokens mints the Authorization headers the auth tests send.
type tokens struct {
	t   *testing.T
	svc service
}

func (k tokens) grant(aud string, scopes ...string) auth.Grant {
	return auth.Grant{Subject: "tester", Audience: []string{aud}, Scopes: scopes, TTL: time.Minute}
}

// scoped is a valid token for the service with scopes.
func (k tokens) scoped(scopes ...string) string {
	return servicetest.Bearer(k.t, k.grant(k.svc.audience, scopes...))
}

func (k tokens) otherKey() string {
	_, priv, err := auth.GenerateKey()
	if err != nil {
		k.t.Fatal(err)
	}
	tok, err := auth.NewIssuer(priv, servicetest.TestIssuer).Mint(k.grant(k.svc.audience, k.svc.write))
	if err != nil {
		k.t.Fatal(err)
	}
	return "Bearer " + tok
}

func (k tokens) expired() string {
	iss := servicetest.Issuer(k.t).WithClock(func() time.Time { return time.Now().Add(-2 * time.Hour) })
	tok, err := iss.Mint(k.grant(k.svc.audience, k.svc.write, k.svc.compensate, k.svc.read))
	if err != nil {
		k.t.Fatal(err)
	}
	return "Bearer " + tok
}

func (k tokens) otherIssuer() string {
	tok, err := servicetest.IssuerNamed(k.t, "someone-else").Mint(k.grant(k.svc.audience, k.svc.write))
	if err != nil {
		k.t.Fatal(err)
	}
	return "Bearer " + tok
}

// The other service's audience: its tokens are refused here, whatever
// scopes they hold.
func (k tokens) otherAudience() string {
	other := orderapi.Audience
	if k.svc.audience == other {
		other = paymentapi.Audience
	}
	return servicetest.Bearer(k.t, k.grant(other, k.svc.write))
}

// Creating and compensating are separate rights (payments:write and
// payments:refund, orders:write and orders:cancel). Every refusal comes
// before the request is decoded or the store is touched: after all of
// them, the only rows are those of the one entity made with a good token
// first, which the right scope then compensates.
func TestAuthRefusesBeforeTheStore(t *testing.T) {
	eachEnv(t, ledger.Config{FaultsEnabled: true}, func(t *testing.T, e *env) {
		k := tokens{t, e.svc}
		dtid := ids.NewDTID()
		made, _, _ := e.createOne(t, dtid)
		create, compensation, one := e.path(), e.path(made.ID, e.svc.compensation), e.path(made.ID)
		body := func() string { return e.body(t, ids.NewDTID()) }
		tests := []struct {
			name, method, path, auth, body string
			wantStatus                     int
			wantType                       string
		}{
			{name: "create_missing_token", method: "POST", path: create, body: body(), wantStatus: 401, wantType: auth.TypeMissingToken},
			{name: "create_missing_token_before_the_body", method: "POST", path: create, body: `{not json`, wantStatus: 401, wantType: auth.TypeMissingToken},
			{name: "create_basic_auth", method: "POST", path: create, auth: "Basic dTpw", body: body(), wantStatus: 401, wantType: auth.TypeMissingToken},
			{name: "create_bad_signature", method: "POST", path: create, auth: k.otherKey(), body: body(), wantStatus: 401, wantType: auth.TypeInvalidToken},
			{name: "create_expired", method: "POST", path: create, auth: k.expired(), body: body(), wantStatus: 401, wantType: auth.TypeInvalidToken},
			{name: "create_wrong_issuer", method: "POST", path: create, auth: k.otherIssuer(), body: body(), wantStatus: 401, wantType: auth.TypeInvalidToken},
			{name: "create_wrong_audience", method: "POST", path: create, auth: k.otherAudience(), body: body(), wantStatus: 401, wantType: auth.TypeInvalidToken},
			{name: "create_read_scope", method: "POST", path: create, auth: k.scoped(e.svc.read), body: body(), wantStatus: 403, wantType: auth.TypeInsufficientScope},
			{name: "create_compensate_scope", method: "POST", path: create, auth: k.scoped(e.svc.compensate), body: `{not json`, wantStatus: 403, wantType: auth.TypeInsufficientScope},
			{name: "compensate_missing_token", method: "POST", path: compensation, wantStatus: 401, wantType: auth.TypeMissingToken},
			{name: "compensate_write_scope", method: "POST", path: compensation, auth: k.scoped(e.svc.write), wantStatus: 403, wantType: auth.TypeInsufficientScope},
			{name: "compensate_expired", method: "POST", path: compensation, auth: k.expired(), wantStatus: 401, wantType: auth.TypeInvalidToken},
			{name: "list_missing_token", method: "GET", path: create, wantStatus: 401, wantType: auth.TypeMissingToken},
			{name: "list_write_scopes", method: "GET", path: create, auth: k.scoped(e.svc.write, e.svc.compensate), wantStatus: 403, wantType: auth.TypeInsufficientScope},
			{name: "get_bad_signature", method: "GET", path: one, auth: k.otherKey(), wantStatus: 401, wantType: auth.TypeInvalidToken},
			{name: "get_missing_token", method: "GET", path: one, wantStatus: 401, wantType: auth.TypeMissingToken},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				h := servicetest.JSONHeaders("k-" + ids.NewDTID())
				h["Authorization"] = tt.auth // "" sends none
				status, header, answer := e.Raw(t, tt.method, tt.path, h, tt.body)
				if status != tt.wantStatus || header.Get("Content-Type") != httpapi.ContentTypeProblem || !strings.Contains(answer, tt.wantType) {
					t.Errorf("%d %s %s, want %d problem %s", status, header.Get("Content-Type"), answer, tt.wantStatus, tt.wantType)
				}
				if www := header.Get("WWW-Authenticate"); !strings.HasPrefix(www, `Bearer realm="`+e.svc.audience+`"`) {
					t.Errorf("WWW-Authenticate = %q", www)
				}
			})
		}
		if n, m := e.Count(t, e.svc.table), e.Count(t, e.svc.events); n != 1 || m != len(e.svc.created) {
			t.Errorf("%s %d, audit rows %d after the refusals, want only the first's 1 and %d (not compensated)", e.svc.table, n, m, len(e.svc.created))
		}
		status, _, answer := e.Raw(t, http.MethodPost, compensation, map[string]string{
			ids.HeaderIdempotencyKey: "k-compensation", "Authorization": k.scoped(e.svc.compensate)}, "")
		if status != 200 || !strings.Contains(answer, `"state":"`+e.svc.compensated+`"`) {
			t.Errorf("%s with %s: %d %s", e.svc.compensation, e.svc.compensate, status, answer)
		}
	})
}

// Each caller (token subject) has its own bucket for writes: past it, 429
// with Retry-After, and nothing is written; another caller and reads go on.
func TestWritesAreRateLimitedPerCaller(t *testing.T) {
	eachEnv(t, ledger.Config{Limits: ratelimit.Config{Rate: 1, Burst: 2}}, func(t *testing.T, e *env) {
		as := func(subject string) string {
			return servicetest.Bearer(t, auth.Grant{Subject: subject, Audience: []string{e.svc.audience}, Scopes: []string{e.svc.write, e.svc.read}})
		}
		create := func(subject string) (int, http.Header, string) {
			dtid := ids.NewDTID()
			h := servicetest.JSONHeaders(ids.IdempotencyKey(dtid, e.svc.name))
			h["Authorization"] = as(subject)
			return e.Raw(t, http.MethodPost, e.path(), h, e.body(t, dtid))
		}
		for i := range 2 {
			if status, _, answer := create("busy"); status != 201 {
				t.Fatalf("create %d within the burst: %d %s", i+1, status, answer)
			}
		}
		status, header, answer := create("busy")
		if status != 429 || header.Get("Retry-After") != "1" || header.Get("Content-Type") != httpapi.ContentTypeProblem || !strings.Contains(answer, ratelimit.TypeRateLimited) {
			t.Fatalf("create over the burst: %d Retry-After %q %s, want a 429 rate-limited problem with Retry-After 1", status, header.Get("Retry-After"), answer)
		}
		if n := e.Count(t, e.svc.table); n != 2 {
			t.Errorf("%s = %d, want 2: the limited create wrote nothing", e.svc.table, n)
		}
		if status, _, answer := create("quiet"); status != 201 {
			t.Errorf("another caller: %d %s, want 201", status, answer)
		}
		if status, _, _ := e.Raw(t, http.MethodGet, e.path(), map[string]string{"Authorization": as("busy")}, ""); status != 200 {
			t.Errorf("a read of the limited caller: %d, want 200 (reads are not limited)", status)
		}
	})
}

// Every write route bounds its body, declared or streamed: 413
// problem+json, and nothing is written.
func TestWriteBodiesAreBounded(t *testing.T) {
	eachEnv(t, ledger.Config{MaxBodyBytes: 512}, func(t *testing.T, e *env) {
		dtid := ids.NewDTID()
		made, _, _ := e.createOne(t, dtid)
		big := `{"dtid":"` + ids.NewDTID() + `","customer_id":"` + strings.Repeat("x", 1024) + `"}`
		tests := []struct {
			name, path string
			chunked    bool
		}{
			{name: "create_declared_length", path: e.path()},
			{name: "create_streamed", path: e.path(), chunked: true},
			{name: "compensate_declared_length", path: e.path(made.ID, e.svc.compensation)},
			{name: "compensate_streamed", path: e.path(made.ID, e.svc.compensation), chunked: true},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var body io.Reader = strings.NewReader(big)
				if tt.chunked {
					body = io.MultiReader(body) // no length known: sent chunked
				}
				req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, e.URL+tt.path, body)
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set(ids.HeaderIdempotencyKey, "k-"+ids.NewDTID())
				req.Header.Set("Authorization", servicetest.AllScopes(t))
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				answer, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != http.StatusRequestEntityTooLarge || resp.Header.Get("Content-Type") != httpapi.ContentTypeProblem ||
					!strings.Contains(string(answer), httpapi.TypeBodyTooLarge) {
					t.Errorf("%d %s, want 413 %s", resp.StatusCode, answer, httpapi.TypeBodyTooLarge)
				}
			})
		}
		if n, m := e.Count(t, e.svc.table), e.Count(t, e.svc.events); n != 1 || m != len(e.svc.created) {
			t.Errorf("%s %d, audit rows %d, want the first's 1 and %d (not compensated)", e.svc.table, n, m, len(e.svc.created))
		}
	})
}
