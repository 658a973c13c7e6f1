package console

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/sagatrace/sagatrace/workflows"
)

// The list filters by the saga's own status (the SagaStatus attribute),
// and the parked list offers the batch retry.
func TestSagaListFiltersBySagaStatus(t *testing.T) {
	tests := []struct {
		name, path string
		wantStatus int
		wantQuery  string
		wantBody   []string
		denyBody   []string
	}{
		{name: "parked", path: "/sagas?saga_status=compensation_failed", wantStatus: http.StatusOK,
			wantQuery: `WorkflowType="OrderSaga" AND SagaStatus="compensation_failed"`,
			wantBody:  []string{`action="/sagas/retry-parked"`, `<option value="compensation_failed" selected>`}},
		{name: "completed_offers_no_batch_retry", path: "/sagas?saga_status=completed", wantStatus: http.StatusOK,
			wantQuery: `WorkflowType="OrderSaga" AND SagaStatus="completed"`, denyBody: []string{`action="/sagas/retry-parked"`}},
		{name: "unknown_saga_status", path: "/sagas?saga_status=sleeping", wantStatus: http.StatusBadRequest,
			wantBody: []string{"saga_status must be"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, "")
			resp, body := r.get(t, tt.path)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.wantStatus, body)
			}
			if tt.wantQuery != "" && (len(r.temporal.queries) == 0 || r.temporal.queries[0] != tt.wantQuery) {
				t.Errorf("visibility queries %q, want first %q", r.temporal.queries, tt.wantQuery)
			}
			for _, s := range tt.wantBody {
				if !strings.Contains(body, s) {
					t.Errorf("page lacks %q", s)
				}
			}
			for _, s := range tt.denyBody {
				if strings.Contains(body, s) {
					t.Errorf("page has %q", s)
				}
			}
		})
	}
}

// The batch retry retries every listed saga that its own state says is
// parked, and only those; a POST from another site is refused.
func TestRetryEveryParkedSaga(t *testing.T) {
	tests := []struct {
		site        string
		wantStatus  int
		wantSignals []string
	}{
		{"same-origin", http.StatusSeeOther, []string{workflows.UpdateRetryCompensation + " by alice → order-saga-d-stuck"}},
		{"cross-site", http.StatusForbidden, nil},
	}
	for _, tt := range tests {
		t.Run(tt.site, func(t *testing.T) {
			r := newRig(t, "")
			resp, body := r.do(t, http.MethodPost, "/sagas/retry-parked", http.Header{"Sec-Fetch-Site": {tt.site}})
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.wantStatus, body)
			}
			if !slices.Equal(r.temporal.signals, tt.wantSignals) {
				t.Errorf("signals = %v, want %v", r.temporal.signals, tt.wantSignals)
			}
			if tt.wantStatus == http.StatusSeeOther && resp.Header.Get("Location") != "/sagas?saga_status=compensation_failed&retried=1" {
				t.Errorf("redirect to %q", resp.Header.Get("Location"))
			}
		})
	}
}
