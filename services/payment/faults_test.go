package payment_test

import (
	"context"
	"errors"
	"slices"
	"testing"

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
