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

// The processor's decline is a final answer: 422, not retryable, with the
// hop's identities, and a replay answers the same without writing.
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

// A crash between steps leaves a payment in stored or initiated. The replay
// resumes it: rows already written keep the first request's correlation ID,
// the rows the replay writes carry its own.
func TestChargeReplayResumesAfterCrash(t *testing.T) {
	backends.Each(t, func(t *testing.T, backend dbtest.Backend) {
		tests := []struct {
			name       string
			leftIn     paymentapi.State
			keptStates int
		}{
			{name: "left_in_stored", leftIn: paymentapi.StateStored, keptStates: 1},
			{name: "left_in_initiated", leftIn: paymentapi.StateInitiated, keptStates: 2},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				e := newEnv(t, backend, payment.Config{})
				dtid := ids.NewDTID()
				key := ids.IdempotencyKey(dtid, "payment")
				ctx, firstTrace := e.Hop(t, dtid)
				p, err := e.client.Charge(ctx, key, chargeReq(dtid))
				if err != nil {
					t.Fatal(err)
				}
				e.crashBack(t, p.PaymentID, tt.leftIn, tt.keptStates)

				ctx, replayTrace := e.Hop(t, dtid)
				resumed, err := e.client.Charge(ctx, key, chargeReq(dtid))
				if err != nil {
					t.Fatal(err)
				}
				if resumed.PaymentID != p.PaymentID || resumed.State != paymentapi.StateCompleted {
					t.Fatalf("resumed = %+v", resumed)
				}
				var want []event
				for i, s := range []string{"stored", "initiated", "completed"} {
					cid := replayTrace
					if i < tt.keptStates {
						cid = firstTrace
					}
					want = append(want, event{dtid, s, cid})
				}
				if got := e.events(t, p.PaymentID); !slices.Equal(got, want) {
					t.Errorf("audit rows = %v\nwant       %v", got, want)
				}
			})
		}
	})
}

// The card's processor token and last four digits are stored with the
// payment and read back by every read; a charge that names no card has
// them empty.
func TestChargeStoresTheCardTokenAndLast4(t *testing.T) {
	backends.Each(t, func(t *testing.T, backend dbtest.Backend) {
		e := newEnv(t, backend, payment.Config{})
		dtid := ids.NewDTID()
		ctx, _ := e.Hop(t, dtid)
		req := chargeReq(dtid)
		req.CardToken, req.CardLast4 = "tok_visa_9f8e7d", "4242"
		charged, err := e.client.Charge(ctx, ids.IdempotencyKey(dtid, "payment"), req)
		if err != nil {
			t.Fatal(err)
		}
		plain, err := e.client.Charge(ctx, ids.IdempotencyKey(dtid, "payment-2"), chargeReq(dtid))
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.client.Get(ctx, charged.PaymentID)
		if err != nil {
			t.Fatal(err)
		}
		page, err := e.client.List(ctx, paymentapi.ListFilter{DTID: dtid})
		if err != nil || len(page.Items) != 2 {
			t.Fatalf("list = %+v, %v", page, err)
		}
		for _, p := range append([]paymentapi.Payment{charged, got}, page.Items...) {
			want := [2]string{"tok_visa_9f8e7d", "4242"}
			if p.PaymentID == plain.PaymentID {
				want = [2]string{}
			}
			if card := [2]string{p.CardToken, p.CardLast4}; card != want {
				t.Errorf("payment %s card = %q, want %q", p.PaymentID, card, want)
			}
		}
	})
}

// crashBack rewinds a payment as if the process died after writing its
// first keep states.
func (e *env) crashBack(t *testing.T, paymentID string, state paymentapi.State, keep int) {
	t.Helper()
	ctx := context.Background()
	if _, err := e.DB.ExecContext(ctx, `DELETE FROM payment_events WHERE payment = (
		SELECT id FROM payments WHERE payment_id = $1) AND id NOT IN (
		SELECT ev.id FROM payment_events ev JOIN payments p ON p.id = ev.payment
		WHERE p.payment_id = $1 ORDER BY ev.id LIMIT $2)`, paymentID, keep); err != nil {
		t.Fatal(err)
	}
	if _, err := e.DB.ExecContext(ctx, `UPDATE payments SET state = $1 WHERE payment_id = $2`, state, paymentID); err != nil {
		t.Fatal(err)
	}
}
