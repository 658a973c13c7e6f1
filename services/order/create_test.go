package order_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/sagatrace/sagatrace/services/order/orderapi"

	"github.com/sagatrace/sagatrace/internal/faults"

	"github.com/sagatrace/sagatrace/internal/database/dbtest"
	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/services/order"
)

func TestCreateRejectedByFaultWritesNothing(t *testing.T) {
	backends.Each(t, func(t *testing.T, backend dbtest.Backend) {
		e := newEnv(t, backend, order.Config{FaultsEnabled: true})
		dtid := ids.NewDTID()
		key := ids.IdempotencyKey(dtid, "order")
		ctx, traceID := e.Hop(t, dtid)
		_, err := e.client.Create(faults.WithPlan(ctx, "payment.charge=error,order.create=error"), key, createReq(dtid))
		var pe *httpapi.ProblemError
		if !errors.As(err, &pe) || pe.Status != 422 || pe.Type != orderapi.TypeOrderRejected || pe.Retryable() {
			t.Fatalf("err = %v, want 422 %s", err, orderapi.TypeOrderRejected)
		}
		if pe.DTID != dtid || pe.CorrelationID != traceID {
			t.Errorf("problem identities = %q %q", pe.DTID, pe.CorrelationID)
		}
		if n := e.Count(t, "orders") + e.Count(t, "order_events"); n != 0 {
			t.Fatalf("%d rows written by a rejected order", n)
		}
		// Nothing was written, so the key is still free.
		ctx, _ = e.Hop(t, dtid)
		if o, err := e.client.Create(ctx, key, createReq(dtid)); err != nil || o.State != orderapi.StateConfirmed {
			t.Errorf("create after rejection = %+v, %v", o, err)
		}
	})
}

// An order keeps what was asked, its items among them, and every read
// gives them back (the ledger's own tests cover states and audit rows).
func TestCreateKeepsTheRequest(t *testing.T) {
	backends.Each(t, func(t *testing.T, backend dbtest.Backend) {
		e := newEnv(t, backend, order.Config{})
		dtid := ids.NewDTID()
		ctx, _ := e.Hop(t, dtid)
		want := createReq(dtid)
		made, err := e.client.Create(ctx, ids.IdempotencyKey(dtid, "order"), want)
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.client.Get(ctx, made.OrderID)
		if err != nil {
			t.Fatal(err)
		}
		page, err := e.client.List(ctx, orderapi.ListFilter{DTID: dtid})
		if err != nil || len(page.Items) != 1 {
			t.Fatalf("list = %+v, %v", page, err)
		}
		for _, o := range []orderapi.Order{made, got, page.Items[0]} {
			if o.State != orderapi.StateConfirmed || o.DTID != dtid || o.CustomerID != want.CustomerID || o.PaymentID != want.PaymentID ||
				o.AmountCents != want.AmountCents || o.Currency != want.Currency || !slices.Equal(o.Items, want.Items) {
				t.Errorf("order = %+v, want the request %+v", o, want)
			}
		}
	})
}
