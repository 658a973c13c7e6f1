package order_test

import (
	"context"
	"errors"
	"testing"

	"github.com/sagatrace/sagatrace/services/order/orderapi"

	"github.com/sagatrace/sagatrace/internal/database/dbtest"
	"github.com/sagatrace/sagatrace/internal/faults"
	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/services/order"
)

// The fault kinds beyond error, as a saga's retries meet them: each
// attempt says its number, and one order is confirmed however many are sent.
func TestCreateFaultKinds(t *testing.T) {
	backends.Each(t, func(t *testing.T, backend dbtest.Backend) {
		tests := []struct {
			name       string
			fault      string
			wantStatus []int // per attempt; 0: success
		}{
			{name: "transient_fails_first_n_attempts", fault: "transient:1", wantStatus: []int{503, 0}},
			{name: "crash_after_commit_then_replay", fault: "crash-after-commit", wantStatus: []int{500, 0, 0}},
			{name: "latency_then_created", fault: "latency:10ms", wantStatus: []int{0}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				e := newEnv(t, backend, order.Config{FaultsEnabled: true})
				dtid := ids.NewDTID()
				key := ids.IdempotencyKey(dtid, "order")
				var orderIDs []string
				for i, want := range tt.wantStatus {
					ctx, _ := e.Hop(t, dtid)
					ctx = faults.WithAttempt(faults.WithPlan(ctx, "order.create="+tt.fault), i+1)
					o, err := e.client.Create(ctx, key, createReq(dtid))
					if want == 0 {
						if err != nil || o.State != orderapi.StateConfirmed {
							t.Fatalf("attempt %d: %+v, %v; want confirmed", i+1, o, err)
						}
						orderIDs = append(orderIDs, o.OrderID)
						continue
					}
					var pe *httpapi.ProblemError
					if !errors.As(err, &pe) || pe.Status != want || !pe.Retryable() {
						t.Fatalf("attempt %d: err = %v, want a retryable %d", i+1, err, want)
					}
				}
				page, err := e.client.List(context.Background(), orderapi.ListFilter{DTID: dtid})
				if err != nil || len(page.Items) != 1 || page.Items[0].OrderID != orderIDs[0] {
					t.Fatalf("orders of the DTID = %+v, %v; want the one answered (%v)", page.Items, err, orderIDs)
				}
				if rows := e.events(t, orderIDs[0]); len(rows) != 1 {
					t.Errorf("audit rows = %v, want the one of the creating request", rows)
				}
			})
		}
	})
}

// The cancel that changed the order crashes; its retry finds it cancelled.
func TestCancelCrashAfterCommit(t *testing.T) {
	backends.Each(t, func(t *testing.T, backend dbtest.Backend) {
		e := newEnv(t, backend, order.Config{FaultsEnabled: true})
		dtid := ids.NewDTID()
		ctx, _ := e.Hop(t, dtid)
		o, err := e.client.Create(ctx, ids.IdempotencyKey(dtid, "order"), createReq(dtid))
		if err != nil {
			t.Fatal(err)
		}
		key := ids.IdempotencyKey(dtid, "order.cancel")
		ctx = faults.WithPlan(ctx, "order.cancel=crash-after-commit")
		_, err = e.client.Cancel(ctx, key, o.OrderID)
		var pe *httpapi.ProblemError
		if !errors.As(err, &pe) || pe.Status != 500 {
			t.Fatalf("first cancel: err = %v, want 500", err)
		}
		again, err := e.client.Cancel(ctx, key, o.OrderID)
		if err != nil || again.State != orderapi.StateCancelled || len(again.History) != 2 {
			t.Fatalf("retried cancel = %+v, %v; want cancelled with two audit rows", again, err)
		}
	})
}
