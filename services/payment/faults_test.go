package payment_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sagatrace/sagatrace/services/payment/paymentapi"

	"github.com/sagatrace/sagatrace/internal/database/dbtest"
	"github.com/sagatrace/sagatrace/internal/faults"
	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/services/payment"
)

func TestChargeDeclinedByProcessor(t *testing.T) {
	backends.Each(t, func(t *testing.T, backend dbtest.Backend) {
		e := newEnv(t, backend, payment.Config{FaultsEnabled: true})
		dtid := ids.NewDTID()
		key := ids.IdempotencyKey(dtid, "payment")
		for attempt := range 2 { // the replay answers the same and writes nothing
			ctx, traceID := e.Hop(t, dtid)
			ctx = faults.WithPlan(ctx, "payment.charge=error,order.create=error")
			_, err := e.client.Charge(ctx, key, chargeReq(dtid))
			var pe *httpapi.ProblemError
			if !errors.As(err, &pe) || pe.Status != 422 || pe.Type != paymentapi.TypePaymentDeclined || pe.Retryable() {
				t.Fatalf("attempt %d: err = %v, want 422 %s", attempt+1, err, paymentapi.TypePaymentDeclined)
			}
			if pe.DTID != dtid || pe.CorrelationID != traceID {
				t.Errorf("problem identities = %q %q, want %q %q", pe.DTID, pe.CorrelationID, dtid, traceID)
			}
		}
		page, err := e.client.List(context.Background(), paymentapi.ListFilter{DTID: dtid})
		if err != nil || len(page.Items) != 1 {
			t.Fatalf("list = %+v, %v", page, err)
		}
		p := page.Items[0]
		if got := states(p.History); p.State != paymentapi.StateDeclined || !slices.Equal(got, []paymentapi.State{"stored", "initiated", "declined"}) {
			t.Errorf("state %s, history %v", p.State, got)
		}
		if n := e.Count(t, "payment_events"); n != 3 {
			t.Errorf("audit rows = %d, want 3", n)
		}
	})
}

func TestChargeFaultsIgnoredWhenDisabled(t *testing.T) {
	backends.Each(t, func(t *testing.T, backend dbtest.Backend) {
		e := newEnv(t, backend, payment.Config{FaultsEnabled: false})
		for range 2 {
			dtid := ids.NewDTID()
			ctx, _ := e.Hop(t, dtid)
			p, err := e.client.Charge(faults.WithPlan(ctx, "payment.charge=error"), ids.IdempotencyKey(dtid, "payment"), chargeReq(dtid))
			if err != nil || p.State != paymentapi.StateCompleted {
				t.Fatalf("charge = %+v, %v; want completed", p, err)
			}
		}
		if n := strings.Count(e.Logs(), "fault injection is disabled"); n != 1 {
			t.Errorf("warnings = %d, want exactly 1 per server:\n%s", n, e.Logs())
		}
	})
}

// Each fault kind, as a saga's retries meet it: the attempt number comes
// from the caller, and however often the charge is sent, one payment is
// taken.
func TestChargeFaultKinds(t *testing.T) {
	backends.Each(t, func(t *testing.T, backend dbtest.Backend) {
		tests := []struct {
			name       string
			fault      string
			attempts   int           // attempts sent, 1, 2, … with one Idempotency-Key
			deadline   time.Duration // of each attempt's context; 0: none
			wantStatus []int         // per attempt; 0: success, -1: the caller gave up
			wantRows   int           // payments of the DTID at the end
			minTime    time.Duration // the whole exchange takes at least this
		}{
			{name: "transient_fails_first_n_attempts", fault: "transient:2", attempts: 3, wantStatus: []int{503, 503, 0}, wantRows: 1},
			{name: "crash_after_commit_then_replay", fault: "crash-after-commit", attempts: 2, wantStatus: []int{500, 0}, wantRows: 1},
			{name: "latency_delays_every_attempt", fault: "latency:50ms", attempts: 2, wantStatus: []int{0, 0}, wantRows: 1, minTime: 100 * time.Millisecond},
			{name: "timeout_writes_nothing", fault: "timeout", attempts: 2, deadline: 100 * time.Millisecond, wantStatus: []int{-1, -1}, wantRows: 0},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				e := newEnv(t, backend, payment.Config{FaultsEnabled: true})
				dtid := ids.NewDTID()
				key := ids.IdempotencyKey(dtid, "payment")
				start := time.Now()
				var paymentIDs []string
				for i := range tt.attempts {
					ctx, _ := e.Hop(t, dtid)
					ctx = faults.WithAttempt(faults.WithPlan(ctx, "payment.charge="+tt.fault), i+1)
					if tt.deadline > 0 {
						var cancel context.CancelFunc
						ctx, cancel = context.WithTimeout(ctx, tt.deadline)
						defer cancel()
					}
					p, err := e.client.Charge(ctx, key, chargeReq(dtid))
					switch want := tt.wantStatus[i]; want {
					case 0:
						if err != nil || p.State != paymentapi.StateCompleted {
							t.Fatalf("attempt %d: %+v, %v; want completed", i+1, p, err)
						}
						paymentIDs = append(paymentIDs, p.PaymentID)
					case -1:
						if !errors.Is(err, context.DeadlineExceeded) {
							t.Fatalf("attempt %d: err = %v, want the caller's deadline", i+1, err)
						}
					default:
						var pe *httpapi.ProblemError
						if !errors.As(err, &pe) || pe.Status != want || !pe.Retryable() {
							t.Fatalf("attempt %d: err = %v, want a retryable %d", i+1, err, want)
						}
					}
				}
				if took := time.Since(start); took < tt.minTime {
					t.Errorf("took %s, want at least %s", took, tt.minTime)
				}
				if len(paymentIDs) > 1 && paymentIDs[0] != paymentIDs[len(paymentIDs)-1] {
					t.Errorf("answers name payments %v, want one", paymentIDs)
				}
				page, err := e.client.List(context.Background(), paymentapi.ListFilter{DTID: dtid})
				if err != nil || len(page.Items) != tt.wantRows {
					t.Fatalf("payments of the DTID = %+v, %v; want %d", page.Items, err, tt.wantRows)
				}
			})
		}
	})
}

// A transient fault without the attempt number cannot be applied: the
// request is refused as malformed instead of guessing.
func TestTransientFaultNeedsTheAttempt(t *testing.T) {
	backends.Each(t, func(t *testing.T, backend dbtest.Backend) {
		e := newEnv(t, backend, payment.Config{FaultsEnabled: true})
		dtid := ids.NewDTID()
		ctx, _ := e.Hop(t, dtid)
		_, err := e.client.Charge(faults.WithPlan(ctx, "payment.charge=transient:1"), ids.IdempotencyKey(dtid, "payment"), chargeReq(dtid))
		var pe *httpapi.ProblemError
		if !errors.As(err, &pe) || pe.Status != 400 || pe.Type != httpapi.TypeInvalidFaults {
			t.Fatalf("err = %v, want 400 %s", err, httpapi.TypeInvalidFaults)
		}
	})
}

// The refund that moved the money crashes; its retry finds it refunded.
func TestRefundCrashAfterCommit(t *testing.T) {
	backends.Each(t, func(t *testing.T, backend dbtest.Backend) {
		e := newEnv(t, backend, payment.Config{FaultsEnabled: true})
		dtid := ids.NewDTID()
		ctx, _ := e.Hop(t, dtid)
		p, err := e.client.Charge(ctx, ids.IdempotencyKey(dtid, "payment"), chargeReq(dtid))
		if err != nil {
			t.Fatal(err)
		}
		key := ids.IdempotencyKey(dtid, "payment.refund")
		ctx = faults.WithPlan(ctx, "payment.refund=crash-after-commit")
		_, err = e.client.Refund(ctx, key, p.PaymentID)
		var pe *httpapi.ProblemError
		if !errors.As(err, &pe) || pe.Status != 500 {
			t.Fatalf("first refund: err = %v, want 500", err)
		}
		again, err := e.client.Refund(ctx, key, p.PaymentID)
		if err != nil || again.State != paymentapi.StateRefunded {
			t.Fatalf("retried refund = %+v, %v; want refunded", again, err)
		}
		if got := states(again.History); !slices.Equal(got, []paymentapi.State{"stored", "initiated", "completed", "refunded"}) {
			t.Errorf("history = %v, want one refunded row", got)
		}
	})
}
