package order_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sagatrace/sagatrace/internal/auth"
	"github.com/sagatrace/sagatrace/internal/database/dbtest"
	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/servicetest"
	"github.com/sagatrace/sagatrace/services/order"
)

// Creating and cancelling are separate rights (orders:write,
// orders:cancel), like charging and refunding; every refusal comes before
// the body is read or the store touched, and a body past the limit is
// refused (413) on both writes.
func TestAuthRefusesBeforeTheStore(t *testing.T) {
	backends.Each(t, func(t *testing.T, backend dbtest.Backend) {
		e := newEnv(t, backend, order.Config{FaultsEnabled: true, MaxBodyBytes: 1024})
		dtid := ids.NewDTID()
		ctx, _ := e.Hop(t, dtid)
		made, err := e.client.Create(ctx, ids.IdempotencyKey(dtid, "order"), createReq(dtid))
		if err != nil {
			t.Fatal(err)
		}
		cancel := "/v1/orders/" + made.OrderID + "/cancel"
		scoped := func(scopes ...string) string {
			return servicetest.Bearer(t, auth.Grant{Audience: []string{auth.AudienceOrder}, Scopes: scopes})
		}
		expired, err := servicetest.Issuer(t).WithClock(func() time.Time { return time.Now().Add(-time.Hour) }).Mint(auth.Grant{
			Subject: "tester", Audience: []string{auth.AudienceOrder}, Scopes: auth.ScopesOf(auth.AudienceOrder), TTL: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		body := func() string {
			b, err := json.Marshal(createReq(ids.NewDTID()))
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
		tests := []struct {
			name, method, path, auth, body string
			wantStatus                     int
			wantType                       string
		}{
			{name: "create_missing_token", method: "POST", path: "/v1/orders", body: body(), wantStatus: 401, wantType: auth.TypeMissingToken},
			{name: "create_missing_token_before_the_body", method: "POST", path: "/v1/orders", body: `[`, wantStatus: 401, wantType: auth.TypeMissingToken},
			{name: "create_expired", method: "POST", path: "/v1/orders", auth: "Bearer " + expired, body: body(), wantStatus: 401, wantType: auth.TypeInvalidToken},
			{name: "create_payment_token", method: "POST", path: "/v1/orders", body: body(), wantStatus: 401, wantType: auth.TypeInvalidToken,
				auth: servicetest.Bearer(t, auth.Grant{Audience: []string{auth.AudiencePayment}, Scopes: []string{auth.ScopeOrdersWrite}})},
			{name: "create_cancel_scope", method: "POST", path: "/v1/orders", auth: scoped(auth.ScopeOrdersCancel), body: body(), wantStatus: 403, wantType: auth.TypeInsufficientScope},
			{name: "cancel_write_scope", method: "POST", path: cancel, auth: scoped(auth.ScopeOrdersWrite), wantStatus: 403, wantType: auth.TypeInsufficientScope},
			{name: "cancel_missing_token", method: "POST", path: cancel, wantStatus: 401, wantType: auth.TypeMissingToken},
			{name: "list_write_scope", method: "GET", path: "/v1/orders", auth: scoped(auth.ScopeOrdersWrite, auth.ScopeOrdersCancel), wantStatus: 403, wantType: auth.TypeInsufficientScope},
			{name: "get_missing_token", method: "GET", path: "/v1/orders/" + made.OrderID, wantStatus: 401, wantType: auth.TypeMissingToken},
			{name: "create_body_too_large", method: "POST", path: "/v1/orders", auth: scoped(auth.ScopeOrdersWrite), body: strings.Repeat(" ", 2048), wantStatus: 413, wantType: httpapi.TypeBodyTooLarge},
			{name: "cancel_body_too_large", method: "POST", path: cancel, auth: scoped(auth.ScopeOrdersCancel), body: strings.Repeat(" ", 2048), wantStatus: 413, wantType: httpapi.TypeBodyTooLarge},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				h := servicetest.JSONHeaders("k-" + ids.NewDTID())
				h["Authorization"] = tt.auth
				status, header, answer := e.Raw(t, tt.method, tt.path, h, tt.body)
				if status != tt.wantStatus || header.Get("Content-Type") != httpapi.ContentTypeProblem || !strings.Contains(answer, tt.wantType) {
					t.Errorf("%d %s %s, want %d problem %s", status, header.Get("Content-Type"), answer, tt.wantStatus, tt.wantType)
				}
			})
		}
		if n, m := e.Count(t, "orders"), e.Count(t, "order_events"); n != 1 || m != 1 {
			t.Errorf("orders %d, audit rows %d after the refusals, want the first order's 1 and 1 (not cancelled)", n, m)
		}
		// The right scope cancels.
		status, _, answer := e.Raw(t, http.MethodPost, cancel, map[string]string{
			ids.HeaderIdempotencyKey: "k-cancel", "Authorization": scoped(auth.ScopeOrdersCancel)}, "")
		if status != 200 || !strings.Contains(answer, `"state":"cancelled"`) {
			t.Errorf("cancel with orders:cancel: %d %s", status, answer)
		}
	})
}
