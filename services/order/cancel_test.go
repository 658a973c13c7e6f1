package order_test

import (
	"context"
	"errors"
	"slices"
	"sort"
	"testing"

	"github.com/sagatrace/sagatrace/services/order/orderapi"

	"github.com/sagatrace/sagatrace/internal/faults"

	"github.com/sagatrace/sagatrace/internal/database/dbtest"
	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/servicetest"
	"github.com/sagatrace/sagatrace/services/order"
)

func TestCancel(t *testing.T) {
	backends.Each(t, func(t *testing.T, backend dbtest.Backend) {
		tests := []struct {
			name       string
			faults     string
			wantStatus int // 0: success
			wantRows   []string
		}{
			{name: "confirmed_is_cancelled_once", wantRows: []string{"confirmed", "cancelled"}},
			{name: "unavailable_writes_nothing", faults: "order.cancel=error", wantStatus: 503, wantRows: []string{"confirmed"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				e := newEnv(t, backend, order.Config{FaultsEnabled: true})
				dtid := ids.NewDTID()
				ctx, createTrace := e.Hop(t, dtid)
				o, err := e.client.Create(ctx, ids.IdempotencyKey(dtid, "order"), createReq(dtid))
				if err != nil {
					t.Fatal(err)
				}
				var cancelTrace string
				for attempt := range 2 { // cancelling again changes nothing
					ctx, traceID := e.Hop(t, dtid)
					if attempt == 0 {
						cancelTrace = traceID
					}
					got, err := e.client.Cancel(faults.WithPlan(ctx, tt.faults), ids.IdempotencyKey(dtid, "order.cancel"), o.OrderID)
					if tt.wantStatus != 0 {
						var pe *httpapi.ProblemError
						if !errors.As(err, &pe) || pe.Status != tt.wantStatus || pe.Type != orderapi.TypeCancelUnavailable || !pe.Retryable() {
							t.Fatalf("attempt %d: err = %v, want retryable %d", attempt+1, err, tt.wantStatus)
						}
						continue
					}
					if err != nil || got.State != orderapi.StateCancelled {
						t.Fatalf("attempt %d: %+v, %v", attempt+1, got, err)
					}
				}
				var want []event
				for _, s := range tt.wantRows {
					cid := createTrace
					if s == "cancelled" {
						cid = cancelTrace
					}
					want = append(want, event{dtid, s, cid})
				}
				if got := e.events(t, o.OrderID); !slices.Equal(got, want) {
					t.Errorf("audit rows = %v\nwant       %v", got, want)
				}
			})
		}
	})
}

func TestUnknownOrderIsNotFound(t *testing.T) {
	backends.Each(t, func(t *testing.T, backend dbtest.Backend) {
		e := newEnv(t, backend, order.Config{})
		ctx, _ := e.Hop(t, ids.NewDTID())
		missing := ids.NewUUID()
		for name, call := range map[string]func() error{
			"cancel": func() error { _, err := e.client.Cancel(ctx, "k-1", missing); return err },
			"get":    func() error { _, err := e.client.Get(ctx, missing); return err },
		} {
			var pe *httpapi.ProblemError
			if err := call(); !errors.As(err, &pe) || pe.Status != 404 || pe.Type != orderapi.TypeOrderNotFound {
				t.Errorf("%s: err = %v, want 404 %s", name, err, orderapi.TypeOrderNotFound)
			}
		}
		if status, _, body := e.Raw(t, "POST", "/v1/orders/"+missing+"/cancel", nil, ""); status != 400 {
			t.Errorf("cancel without Idempotency-Key = %d: %s", status, body)
		}
	})
}

func TestListByDTIDPaginates(t *testing.T) {
	backends.Each(t, func(t *testing.T, backend dbtest.Backend) {
		e := newEnv(t, backend, order.Config{})
		dtid, other := ids.NewDTID(), ids.NewDTID()
		var want []string
		for i := range 3 {
			ctx, _ := e.Hop(t, dtid)
			o, err := e.client.Create(ctx, ids.IdempotencyKey(dtid, "order-"+string(rune('a'+i))), createReq(dtid))
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, o.OrderID)
		}
		ctx, _ := e.Hop(t, other)
		if _, err := e.client.Create(ctx, ids.IdempotencyKey(other, "order"), createReq(other)); err != nil {
			t.Fatal(err)
		}
		sort.Strings(want)

		items, sizes := servicetest.ListAll(t, e.client.List, orderapi.ListFilter{DTID: dtid, Limit: 2})
		var got []string
		for _, o := range items {
			if o.DTID != dtid || len(o.History) != 1 || len(o.Items) != 2 {
				t.Errorf("item %+v", o)
			}
			got = append(got, o.OrderID)
		}
		if !slices.Equal(got, want) || !slices.Equal(sizes, []int{2, 1}) {
			t.Errorf("pages %v of %v, want [2 1] of %v", sizes, got, want)
		}
		var pe *httpapi.ProblemError
		if _, err := e.client.List(context.Background(), orderapi.ListFilter{Limit: 500}); !errors.As(err, &pe) || pe.Status != 400 {
			t.Errorf("limit 500: err = %v, want 400", err)
		}
	})
}
