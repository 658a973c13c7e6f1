package httpserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/ids"
)

func TestWriteErrorMapsKindOnce(t *testing.T) {
	secret := errors.New("pq: password authentication failed for user admin")
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantType   string
		wantDetail string
	}{
		{name: "invalid", err: Invalid("invalid-field", "amount_cents must be > 0"), wantStatus: 400, wantType: httpapi.ProblemTypeBase + "invalid-field", wantDetail: "amount_cents must be > 0"},
		{name: "not_found", err: NotFound("payment-not-found", "no payment p-1"), wantStatus: 404, wantType: httpapi.ProblemTypeBase + "payment-not-found", wantDetail: "no payment p-1"},
		{name: "conflict", err: Conflict("busy", "busy"), wantStatus: 409, wantType: httpapi.ProblemTypeBase + "busy", wantDetail: "busy"},
		{name: "refused", err: Refused("payment-declined", "declined"), wantStatus: 422, wantType: httpapi.ProblemTypeBase + "payment-declined", wantDetail: "declined"},
		{name: "unavailable", err: Unavailable("refund-unavailable", "try later"), wantStatus: 503, wantType: httpapi.ProblemTypeBase + "refund-unavailable", wantDetail: "try later"},
		{name: "unauthenticated", err: Unauthenticated("invalid-token", "token is expired"), wantStatus: 401, wantType: httpapi.ProblemTypeBase + "invalid-token", wantDetail: "token is expired"},
		{name: "forbidden", err: Forbidden("insufficient-scope", "needs payments:write"), wantStatus: 403, wantType: httpapi.ProblemTypeBase + "insufficient-scope", wantDetail: "needs payments:write"},
		{name: "too_large", err: TooLarge(httpapi.TypeBodyTooLarge, "too big"), wantStatus: 413, wantType: httpapi.ProblemTypeBase + httpapi.TypeBodyTooLarge, wantDetail: "too big"},
		{name: "too_many_requests", err: TooManyRequests("rate-limited", "slow down"), wantStatus: 429, wantType: httpapi.ProblemTypeBase + "rate-limited", wantDetail: "slow down"},
		{name: "wrapped_twice", err: fmt.Errorf("charge: %w", fmt.Errorf("store: %w", Refused("payment-declined", "declined"))), wantStatus: 422, wantType: httpapi.ProblemTypeBase + "payment-declined", wantDetail: "declined"},
		{name: "internal_hides_cause", err: Internal(secret), wantStatus: 500, wantType: "about:blank", wantDetail: "internal error"},
		{name: "unknown_error_hides_text", err: secret, wantStatus: 500, wantType: "about:blank", wantDetail: "internal error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/v1/payments", nil)
			ctx := ids.WithCorrelationID(ids.WithDTID(r.Context(), "d-1"), "0af7651916cd43dd8448eb211c80319c")
			w := httptest.NewRecorder()
			WriteError(w, r.WithContext(ctx), tt.err)

			if w.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", w.Code, tt.wantStatus)
			}
			if ct := w.Header().Get("Content-Type"); ct != httpapi.ContentTypeProblem {
				t.Errorf("Content-Type = %q", ct)
			}
			var p httpapi.Problem
			if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
				t.Fatalf("body is not JSON: %v", err)
			}
			want := httpapi.Problem{Type: tt.wantType, Status: tt.wantStatus, Detail: tt.wantDetail, Instance: "/v1/payments",
				DTID: "d-1", CorrelationID: "0af7651916cd43dd8448eb211c80319c", Title: p.Title}
			if p != want {
				t.Errorf("problem = %+v\nwant      %+v", p, want)
			}
			if p.Title == "" {
				t.Error("title is empty")
			}
			if strings.Contains(w.Body.String(), "password") {
				t.Error("the cause leaked into the answer")
			}
		})
	}
}
