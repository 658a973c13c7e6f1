package payment_test

import (
	"context"
	"errors"
	"slices"
	"sort"
	"testing"

	"github.com/sagatrace/sagatrace/services/payment/paymentapi"

	"github.com/sagatrace/sagatrace/internal/database/dbtest"
	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/servicetest"
	"github.com/sagatrace/sagatrace/services/payment"
)

func TestListByDTIDPaginates(t *testing.T) {
	backends.Each(t, func(t *testing.T, backend dbtest.Backend) {
		e := newEnv(t, backend, payment.Config{})
		dtid, other := ids.NewDTID(), ids.NewDTID()
		var want []string
		for i := range 5 {
			ctx, _ := e.Hop(t, dtid)
			p, err := e.client.Charge(ctx, ids.IdempotencyKey(dtid, "payment-"+string(rune('a'+i))), chargeReq(dtid))
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, p.PaymentID)
		}
		for i := range 2 {
			ctx, _ := e.Hop(t, other)
			if _, err := e.client.Charge(ctx, ids.IdempotencyKey(other, "payment-"+string(rune('a'+i))), chargeReq(other)); err != nil {
				t.Fatal(err)
			}
		}
		sort.Strings(want) // UUIDv7: text order is creation order

		items, sizes := servicetest.ListAll(t, e.client.List, paymentapi.ListFilter{DTID: dtid, Limit: 2})
		var got []string
		for _, p := range items {
			if p.DTID != dtid || len(p.History) != 3 {
				t.Errorf("item %s: dtid %s, %d history rows", p.PaymentID, p.DTID, len(p.History))
			}
			got = append(got, p.PaymentID)
		}
		if !slices.Equal(got, want) || !slices.Equal(sizes, []int{2, 2, 1}) {
			t.Errorf("pages %v of %v, want [2 2 1] of %v", sizes, got, want)
		}

		ctx := context.Background()
		all, err := e.client.List(ctx, paymentapi.ListFilter{})
		if err != nil || len(all.Items) != 7 || all.NextCursor != "" {
			t.Errorf("unfiltered list: %d items, cursor %q, %v", len(all.Items), all.NextCursor, err)
		}
		one, err := e.client.Get(ctx, want[0])
		if err != nil || one.PaymentID != want[0] || len(one.History) != 3 {
			t.Errorf("get = %+v, %v", one, err)
		}
	})
}

func TestListRejectsBadParameters(t *testing.T) {
	backends.Each(t, func(t *testing.T, backend dbtest.Backend) {
		e := newEnv(t, backend, payment.Config{})
		tests := []struct {
			name string
			f    paymentapi.ListFilter
		}{
			{name: "limit_too_large", f: paymentapi.ListFilter{Limit: httpapi.MaxListLimit + 1}},
			{name: "negative_limit", f: paymentapi.ListFilter{Limit: -1}},
			{name: "cursor_not_a_payment_id", f: paymentapi.ListFilter{Cursor: "42"}},
			{name: "invalid_dtid", f: paymentapi.ListFilter{DTID: "a b"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := e.client.List(context.Background(), tt.f)
				var pe *httpapi.ProblemError
				if !errors.As(err, &pe) || pe.Status != 400 {
					t.Errorf("err = %v, want 400", err)
				}
			})
		}
		if status, _, body := e.Raw(t, "GET", "/v1/payments?limit=ten", nil, ""); status != 400 {
			t.Errorf("limit=ten: %d %s", status, body)
		}
		page, err := e.client.List(context.Background(), paymentapi.ListFilter{DTID: ids.NewDTID()})
		if err != nil || page.Items == nil || len(page.Items) != 0 {
			t.Errorf("empty list = %+v, %v; want items []", page, err)
		}
	})
}
