package order_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/sagatrace/sagatrace/services/order/orderapi"

	"github.com/sagatrace/sagatrace/internal/faults"

	"github.com/sagatrace/sagatrace/internal/database/dbtest"
	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/servicetest"
	"github.com/sagatrace/sagatrace/services/order"
)

func TestCreateConfirmsWithTheHopsCorrelationID(t *testing.T) {
	backends.Each(t, func(t *testing.T, backend dbtest.Backend) {
		e := newEnv(t, backend, order.Config{})
		dtid := ids.NewDTID()
		ctx, traceID := e.Hop(t, dtid)
		o, err := e.client.Create(ctx, ids.IdempotencyKey(dtid, "order"), createReq(dtid))
		if err != nil {
			t.Fatal(err)
		}
		want := createReq(dtid)
		if o.State != orderapi.StateConfirmed || o.DTID != dtid || o.OrderID == "" || o.PaymentID != want.PaymentID ||
			o.AmountCents != want.AmountCents || !slices.Equal(o.Items, want.Items) {
			t.Fatalf("order = %+v", o)
		}
		if got := e.events(t, o.OrderID); !slices.Equal(got, []event{{dtid, "confirmed", traceID}}) {
			t.Errorf("audit rows = %v", got)
		}
		if len(o.History) != 1 || o.History[0].CorrelationID != traceID {
			t.Errorf("history = %+v", o.History)
		}
		for _, s := range e.ServerSpans.Ended() {
			if s.SpanContext().TraceID().String() != traceID {
				t.Errorf("server span %q left the hop's trace", s.Name())
			}
		}
	})
}

func TestCreateReplay(t *testing.T) {
	backends.Each(t, func(t *testing.T, backend dbtest.Backend) {
		tests := []struct {
			name     string
			change   func(orderapi.CreateRequest) orderapi.CreateRequest
			faults   string
			wantType string // "" means: the same order comes back
		}{
			{name: "same_request_returns_same_order", change: func(r orderapi.CreateRequest) orderapi.CreateRequest { return r }},
			{name: "replay_ignores_a_later_fault", change: func(r orderapi.CreateRequest) orderapi.CreateRequest { return r }, faults: "order.create=error"},
			{name: "different_items_are_refused", change: func(r orderapi.CreateRequest) orderapi.CreateRequest {
				r.Items = []orderapi.Item{{SKU: "sku-9", Qty: 1, PriceCents: 2299}}
				return r
			}, wantType: orderapi.TypeIdempotencyKeyReused},
			{name: "different_payment_is_refused", change: func(r orderapi.CreateRequest) orderapi.CreateRequest { r.PaymentID = "p-2"; return r }, wantType: orderapi.TypeIdempotencyKeyReused},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				e := newEnv(t, backend, order.Config{FaultsEnabled: true})
				dtid := ids.NewDTID()
				key := ids.IdempotencyKey(dtid, "order")
				ctx, firstTrace := e.Hop(t, dtid)
				first, err := e.client.Create(ctx, key, createReq(dtid))
				if err != nil {
					t.Fatal(err)
				}
				ctx, _ = e.Hop(t, dtid)
				again, err := e.client.Create(faults.WithPlan(ctx, tt.faults), key, tt.change(createReq(dtid)))
				if tt.wantType == "" {
					if err != nil || again.OrderID != first.OrderID || len(again.History) != 1 {
						t.Fatalf("replay = %+v, %v; want order %s", again, err, first.OrderID)
					}
				} else {
					var pe *httpapi.ProblemError
					if !errors.As(err, &pe) || pe.Status != 422 || pe.Type != tt.wantType {
						t.Fatalf("replay error = %v, want 422 %s", err, tt.wantType)
					}
				}
				if n := e.Count(t, "orders"); n != 1 {
					t.Errorf("orders = %d, want 1", n)
				}
				if got := e.events(t, first.OrderID); !slices.Equal(got, []event{{dtid, "confirmed", firstTrace}}) {
					t.Errorf("audit rows = %v", got)
				}
			})
		}
	})
}

func TestCreateReplayStatusCodes(t *testing.T) {
	backends.Each(t, func(t *testing.T, backend dbtest.Backend) {
		e := newEnv(t, backend, order.Config{})
		body := `{"dtid":"d-1","customer_id":"c-1","payment_id":"p-1","amount_cents":500,"currency":"EUR","items":[{"sku":"s","qty":1,"price_cents":500}]}`
		for i, want := range []int{201, 200} {
			status, hdr, resp := e.Post(t, "/v1/orders", "k-status", body)
			if status != want {
				t.Errorf("request %d: status %d, want %d: %s", i+1, status, want, resp)
			}
			if loc := hdr.Get("Location"); (status == 201) != strings.HasPrefix(loc, "/v1/orders/") {
				t.Errorf("request %d: Location %q with status %d", i+1, loc, status)
			}
		}
	})
}

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

func TestCreateFaultsIgnoredWhenDisabled(t *testing.T) {
	backends.Each(t, func(t *testing.T, backend dbtest.Backend) {
		e := newEnv(t, backend, order.Config{})
		for range 2 {
			dtid := ids.NewDTID()
			ctx, _ := e.Hop(t, dtid)
			o, err := e.client.Create(faults.WithPlan(ctx, "order.create=error"), ids.IdempotencyKey(dtid, "order"), createReq(dtid))
			if err != nil || o.State != orderapi.StateConfirmed {
				t.Fatalf("create = %+v, %v; want confirmed", o, err)
			}
		}
		if n := strings.Count(e.Logs(), "fault injection is disabled"); n != 1 {
			t.Errorf("warnings = %d, want exactly 1 per server", n)
		}
	})
}

func TestConcurrentCreatesWithOneKeyCreateOneOrder(t *testing.T) {
	backends.Each(t, func(t *testing.T, backend dbtest.Backend) {
		e := newEnv(t, backend, order.Config{})
		dtid := ids.NewDTID()
		key := ids.IdempotencyKey(dtid, "order")
		const n = 20
		results := make([]orderapi.Order, n)
		errs := make([]error, n)
		servicetest.AtOnce(n, func(i int) {
			ctx, _ := e.Hop(t, dtid)
			results[i], errs[i] = e.client.Create(ctx, key, createReq(dtid))
		})
		for i := range n {
			if errs[i] != nil || results[i].OrderID != results[0].OrderID {
				t.Errorf("create %d = %s, %v; want %s", i, results[i].OrderID, errs[i], results[0].OrderID)
			}
		}
		if got := e.Count(t, "orders"); got != 1 {
			t.Errorf("orders = %d, want 1", got)
		}
		if got := e.Count(t, "order_events"); got != 1 {
			t.Errorf("audit rows = %d, want 1", got)
		}
	})
}
