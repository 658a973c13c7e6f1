package payment_test

import (
	"testing"

	"github.com/sagatrace/sagatrace/services/payment/paymentapi"

	"github.com/sagatrace/sagatrace/internal/database/dbtest"
	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/servicetest"
	"github.com/sagatrace/sagatrace/services/payment"
)

// Twenty identical charges released at once, as a saga's retries and a
// double start of one DTID could send them, make one payment.
func TestConcurrentChargesWithOneKeyCreateOnePayment(t *testing.T) {
	backends.Each(t, func(t *testing.T, backend dbtest.Backend) {
		e := newEnv(t, backend, payment.Config{})
		dtid := ids.NewDTID()
		key := ids.IdempotencyKey(dtid, "payment")
		const n = 20
		results := make([]paymentapi.Payment, n)
		errs := make([]error, n)
		servicetest.AtOnce(n, func(i int) {
			ctx, _ := e.Hop(t, dtid)
			results[i], errs[i] = e.client.Charge(ctx, key, chargeReq(dtid))
		})
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("charge %d: %v", i, errs[i])
			}
			if results[i].PaymentID != results[0].PaymentID || results[i].State != paymentapi.StateCompleted {
				t.Errorf("charge %d = %s %s, want %s completed", i, results[i].PaymentID, results[i].State, results[0].PaymentID)
			}
		}
		if got := e.Count(t, "payments"); got != 1 {
			t.Errorf("payments = %d, want 1", got)
		}
		if got := e.Count(t, "payment_events"); got != 3 {
			t.Errorf("audit rows = %d, want 3 (one per state)", got)
		}
	})
}
