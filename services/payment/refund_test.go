package payment_test

import (
	"context"
	"slices"
	"testing"

	"github.com/sagatrace/sagatrace/services/payment/paymentapi"

	"github.com/sagatrace/sagatrace/internal/faults"

	"github.com/sagatrace/sagatrace/internal/database/dbtest"
	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/services/payment"
)

// What a refund does depends on where the payment is; the ledger's tests
// cover the refund of a completed payment, the processor's outage and the
// crash after commit.
func TestRefund(t *testing.T) {
	backends.Each(t, func(t *testing.T, backend dbtest.Backend) {
		tests := []struct {
			name        string
			chargeFault string // fault plan of the charge
			rewindTo    paymentapi.State
			wantState   paymentapi.State
			wantRows    []paymentapi.State
		}{
			{name: "declined_is_unchanged", chargeFault: "payment.charge=error", wantState: paymentapi.StateDeclined, wantRows: []paymentapi.State{"stored", "initiated", "declined"}},
			{name: "initiated_is_refunded", rewindTo: paymentapi.StateInitiated, wantState: paymentapi.StateRefunded, wantRows: []paymentapi.State{"stored", "initiated", "refunded"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				e := newEnv(t, backend, payment.Config{FaultsEnabled: true})
				dtid := ids.NewDTID()
				ctx, _ := e.Hop(t, dtid)
				if _, err := e.client.Charge(faults.WithPlan(ctx, tt.chargeFault), ids.IdempotencyKey(dtid, "payment"), chargeReq(dtid)); err != nil && tt.chargeFault == "" {
					t.Fatal(err)
				}
				page, err := e.client.List(context.Background(), paymentapi.ListFilter{DTID: dtid})
				if err != nil || len(page.Items) != 1 {
					t.Fatalf("list = %+v, %v", page, err)
				}
				id := page.Items[0].PaymentID
				if tt.rewindTo != "" {
					e.crashBack(t, id, tt.rewindTo, 2)
				}

				for attempt := range 2 { // refunding again changes nothing
					ctx, refundTrace := e.Hop(t, dtid)
					p, err := e.client.Refund(ctx, ids.IdempotencyKey(dtid, "payment.refund"), id)
					if err != nil {
						t.Fatalf("attempt %d: %v", attempt+1, err)
					}
					if p.State != tt.wantState {
						t.Errorf("attempt %d: state %s, want %s", attempt+1, p.State, tt.wantState)
					}
					last := p.History[len(p.History)-1]
					if attempt == 0 && tt.wantState == paymentapi.StateRefunded && last.CorrelationID != refundTrace {
						t.Errorf("refund row carries %s, want the refund hop's %s", last.CorrelationID, refundTrace)
					}
				}
				var got []paymentapi.State
				for _, ev := range e.events(t, id) {
					got = append(got, paymentapi.State(ev.State))
					if ev.DTID != dtid {
						t.Errorf("row %v has another DTID", ev)
					}
				}
				if !slices.Equal(got, tt.wantRows) {
					t.Errorf("audit rows = %v, want %v", got, tt.wantRows)
				}
			})
		}
	})
}
