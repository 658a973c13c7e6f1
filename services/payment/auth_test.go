package payment_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sagatrace/sagatrace/services/payment/paymentapi"

	"github.com/sagatrace/sagatrace/internal/auth"
	"github.com/sagatrace/sagatrace/internal/database/dbtest"
	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/ratelimit"
	"github.com/sagatrace/sagatrace/internal/servicetest"
	"github.com/sagatrace/sagatrace/services/payment"
)

// tokens mints the Authorization headers the auth tests send.
type tokens struct{ t *testing.T }

func (k tokens) grant(aud string, scopes ...string) auth.Grant {
	return auth.Grant{Subject: "tester", Audience: []string{aud}, Scopes: scopes, TTL: time.Minute}
}

// scoped is a valid token for the payment service with scopes.
func (k tokens) scoped(scopes ...string) string {
	return servicetest.Bearer(k.t, k.grant(auth.AudiencePayment, scopes...))
}

func (k tokens) otherKey() string {
	_, priv, err := auth.GenerateKey()
	if err != nil {
		k.t.Fatal(err)
	}
	tok, err := auth.NewIssuer(priv, servicetest.TestIssuer).Mint(k.grant(auth.AudiencePayment, auth.ScopePaymentsWrite))
	if err != nil {
		k.t.Fatal(err)
	}
	return "Bearer " + tok
}

func (k tokens) expired() string {
	iss := servicetest.Issuer(k.t).WithClock(func() time.Time { return time.Now().Add(-2 * time.Hour) })
	tok, err := iss.Mint(k.grant(auth.AudiencePayment, auth.ScopePaymentsWrite, auth.ScopePaymentsRefund, auth.ScopePaymentsRead))
	if err != nil {
		k.t.Fatal(err)
	}
	return "Bearer " + tok
}

func (k tokens) otherIssuer() string {
	tok, err := servicetest.IssuerNamed(k.t, "someone-else").Mint(k.grant(auth.AudiencePayment, auth.ScopePaymentsWrite))
	if err != nil {
		k.t.Fatal(err)
	}
	return "Bearer " + tok
}

// Every refusal comes before the request is decoded or the store is
// touched: after all of them, the only rows are those of the one payment
// made with a good token first.
func TestAuthRefusesBeforeTheStore(t *testing.T) {
	backends.Each(t, func(t *testing.T, backend dbtest.Backend) {
		e := newEnv(t, backend, payment.Config{FaultsEnabled: true})
		k := tokens{t}
		dtid := ids.NewDTID()
		ctx, _ := e.Hop(t, dtid)
		paid, err := e.client.Charge(ctx, ids.IdempotencyKey(dtid, "payment"), chargeReq(dtid))
		if err != nil {
			t.Fatal(err)
		}
		refund := "/v1/payments/" + paid.PaymentID + "/refund"
		body := func() string {
			return `{"dtid":"` + ids.NewDTID() + `","customer_id":"c-1","amount_cents":100,"currency":"USD"}`
		}
		tests := []struct {
			name, method, path, auth, body string
			wantStatus                     int
			wantType                       string
		}{
			{name: "charge_missing_token", method: "POST", path: "/v1/payments", body: body(), wantStatus: 401, wantType: auth.TypeMissingToken},
			{name: "charge_missing_token_before_the_body", method: "POST", path: "/v1/payments", body: `{not json`, wantStatus: 401, wantType: auth.TypeMissingToken},
			{name: "charge_basic_auth", method: "POST", path: "/v1/payments", auth: "Basic dTpw", body: body(), wantStatus: 401, wantType: auth.TypeMissingToken},
			{name: "charge_bad_signature", method: "POST", path: "/v1/payments", auth: k.otherKey(), body: body(), wantStatus: 401, wantType: auth.TypeInvalidToken},
			{name: "charge_expired", method: "POST", path: "/v1/payments", auth: k.expired(), body: body(), wantStatus: 401, wantType: auth.TypeInvalidToken},
			{name: "charge_wrong_issuer", method: "POST", path: "/v1/payments", auth: k.otherIssuer(), body: body(), wantStatus: 401, wantType: auth.TypeInvalidToken},
			{name: "charge_wrong_audience", method: "POST", path: "/v1/payments", body: body(), wantStatus: 401, wantType: auth.TypeInvalidToken,
				auth: servicetest.Bearer(t, k.grant(auth.AudienceOrder, auth.ScopePaymentsWrite))},
			{name: "charge_read_scope", method: "POST", path: "/v1/payments", auth: k.scoped(auth.ScopePaymentsRead), body: body(), wantStatus: 403, wantType: auth.TypeInsufficientScope},
			{name: "charge_refund_scope", method: "POST", path: "/v1/payments", auth: k.scoped(auth.ScopePaymentsRefund), body: `{not json`, wantStatus: 403, wantType: auth.TypeInsufficientScope},
			{name: "refund_missing_token", method: "POST", path: refund, wantStatus: 401, wantType: auth.TypeMissingToken},
			{name: "refund_write_scope", method: "POST", path: refund, auth: k.scoped(auth.ScopePaymentsWrite), wantStatus: 403, wantType: auth.TypeInsufficientScope},
			{name: "refund_expired", method: "POST", path: refund, auth: k.expired(), wantStatus: 401, wantType: auth.TypeInvalidToken},
			{name: "list_missing_token", method: "GET", path: "/v1/payments", wantStatus: 401, wantType: auth.TypeMissingToken},
			{name: "list_write_scope", method: "GET", path: "/v1/payments", auth: k.scoped(auth.ScopePaymentsWrite), wantStatus: 403, wantType: auth.TypeInsufficientScope},
			{name: "get_bad_signature", method: "GET", path: "/v1/payments/" + paid.PaymentID, auth: k.otherKey(), wantStatus: 401, wantType: auth.TypeInvalidToken},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				h := servicetest.JSONHeaders("k-" + ids.NewDTID())
				h["Authorization"] = tt.auth // "" sends none
				status, header, answer := e.Raw(t, tt.method, tt.path, h, tt.body)
				if status != tt.wantStatus || header.Get("Content-Type") != httpapi.ContentTypeProblem || !strings.Contains(answer, tt.wantType) {
					t.Errorf("%d %s %s, want %d problem %s", status, header.Get("Content-Type"), answer, tt.wantStatus, tt.wantType)
				}
				if www := header.Get("WWW-Authenticate"); !strings.HasPrefix(www, `Bearer realm="payment"`) {
					t.Errorf("WWW-Authenticate = %q", www)
				}
			})
		}
		if n := e.Count(t, "payments"); n != 1 {
			t.Errorf("payments = %d after the refusals, want only the first", n)
		}
		if n := e.Count(t, "payment_events"); n != 3 {
			t.Errorf("audit rows = %d after the refusals, want the first payment's 3 (no refund)", n)
		}
	})
}

// A fault plan counts only with faults:inject, even on a server with
// faults enabled; without it the charge runs as if there were no plan, and
// the server says why once.
func TestFaultsNeedTheFaultsInjectScope(t *testing.T) {
	backends.Each(t, func(t *testing.T, backend dbtest.Backend) {
		e := newEnv(t, backend, payment.Config{FaultsEnabled: true})
		k := tokens{t}
		tests := []struct {
			name       string
			auth       string
			wantStatus int
			wantState  string
		}{
			{name: "without_faults_inject_the_plan_is_ignored", auth: k.scoped(auth.ScopePaymentsWrite), wantStatus: 201, wantState: `"state":"completed"`},
			{name: "again_without_warning_twice", auth: k.scoped(auth.ScopePaymentsWrite), wantStatus: 201, wantState: `"state":"completed"`},
			{name: "with_faults_inject_the_charge_is_declined", auth: k.scoped(auth.ScopePaymentsWrite, auth.ScopeFaultsInject), wantStatus: 422, wantState: paymentapi.TypePaymentDeclined},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				dtid := ids.NewDTID()
				h := servicetest.JSONHeaders(ids.IdempotencyKey(dtid, "payment"))
				h["Authorization"] = tt.auth
				h[ids.HeaderFaults] = "payment.charge=error"
				status, _, answer := e.Raw(t, http.MethodPost, "/v1/payments", h,
					`{"dtid":"`+dtid+`","customer_id":"c-1","amount_cents":100,"currency":"USD"}`)
				if status != tt.wantStatus || !strings.Contains(answer, tt.wantState) {
					t.Errorf("%d %s, want %d with %s", status, answer, tt.wantStatus, tt.wantState)
				}
			})
		}
		if n := strings.Count(e.Logs(), "lacks the faults:inject scope"); n != 1 {
			t.Errorf("warnings = %d, want 1:\n%s", n, e.Logs())
		}
	})
}

// Each caller (token subject) has its own bucket for writes: past it, 429
// with Retry-After, and nothing is written; another caller and reads go on.
func TestWritesAreRateLimitedPerCaller(t *testing.T) {
	backends.Each(t, func(t *testing.T, backend dbtest.Backend) {
		e := newEnv(t, backend, payment.Config{Limits: ratelimit.Config{Rate: 1, Burst: 2}})
		as := func(subject string) string {
			return servicetest.Bearer(t, auth.Grant{Subject: subject, Audience: []string{auth.AudiencePayment},
				Scopes: []string{auth.ScopePaymentsWrite, auth.ScopePaymentsRead}})
		}
		charge := func(subject string) (int, http.Header, string) {
			dtid := ids.NewDTID()
			h := servicetest.JSONHeaders(ids.IdempotencyKey(dtid, "payment"))
			h["Authorization"] = as(subject)
			return e.Raw(t, http.MethodPost, "/v1/payments", h, `{"dtid":"`+dtid+`","customer_id":"c-1","amount_cents":100,"currency":"USD"}`)
		}
		for i := range 2 {
			if status, _, answer := charge("busy"); status != 201 {
				t.Fatalf("charge %d within the burst: %d %s", i+1, status, answer)
			}
		}
		status, header, answer := charge("busy")
		if status != 429 || header.Get("Retry-After") != "1" || header.Get("Content-Type") != httpapi.ContentTypeProblem || !strings.Contains(answer, ratelimit.TypeRateLimited) {
			t.Fatalf("charge over the burst: %d Retry-After %q %s, want a 429 rate-limited problem with Retry-After 1", status, header.Get("Retry-After"), answer)
		}
		if n := e.Count(t, "payments"); n != 2 {
			t.Errorf("payments = %d, want 2: the limited charge wrote nothing", n)
		}
		if status, _, answer := charge("quiet"); status != 201 {
			t.Errorf("another caller: %d %s, want 201", status, answer)
		}
		if status, _, _ := e.Raw(t, http.MethodGet, "/v1/payments", map[string]string{"Authorization": as("busy")}, ""); status != 200 {
			t.Errorf("a read of the limited caller: %d, want 200 (reads are not limited)", status)
		}
	})
}

// Every write route bounds its body, declared or streamed: 413
// problem+json, and nothing is written.
func TestWriteBodiesAreBounded(t *testing.T) {
	backends.Each(t, func(t *testing.T, backend dbtest.Backend) {
		e := newEnv(t, backend, payment.Config{MaxBodyBytes: 512})
		dtid := ids.NewDTID()
		ctx, _ := e.Hop(t, dtid)
		paid, err := e.client.Charge(ctx, ids.IdempotencyKey(dtid, "payment"), chargeReq(dtid))
		if err != nil {
			t.Fatal(err)
		}
		big := `{"dtid":"` + ids.NewDTID() + `","customer_id":"c-1","amount_cents":100,"currency":"USD","card_token":"` + strings.Repeat("x", 1024) + `"}`
		tests := []struct {
			name, path string
			chunked    bool
		}{
			{name: "charge_declared_length", path: "/v1/payments"},
			{name: "charge_streamed", path: "/v1/payments", chunked: true},
			{name: "refund_declared_length", path: "/v1/payments/" + paid.PaymentID + "/refund"},
			{name: "refund_streamed", path: "/v1/payments/" + paid.PaymentID + "/refund", chunked: true},
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
		if n, m := e.Count(t, "payments"), e.Count(t, "payment_events"); n != 1 || m != 3 {
			t.Errorf("payments %d, audit rows %d, want the first payment's 1 and 3 (not refunded)", n, m)
		}
	})
}
