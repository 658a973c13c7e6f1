package ledger_test

import (
	"context"
	"errors"
	"slices"
	"sort"
	"testing"

	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/ledger"
	"github.com/sagatrace/sagatrace/internal/servicetest"
)

func TestListByDTIDPaginates(t *testing.T) {
	eachEnv(t, ledger.Config{}, func(t *testing.T, e *env) {
		dtid, other := ids.NewDTID(), ids.NewDTID()
		var want []string
		for i := range 5 {
			ctx, _ := e.Hop(t, dtid)
			made, err := e.client.create(ctx, ids.IdempotencyKey(dtid, e.svc.name+"-"+string(rune('a'+i))), e.svc.request(dtid))
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, made.ID)
		}
		for i := range 2 {
			ctx, _ := e.Hop(t, other)
			if _, err := e.client.create(ctx, ids.IdempotencyKey(other, e.svc.name+"-"+string(rune('a'+i))), e.svc.request(other)); err != nil {
				t.Fatal(err)
			}
		}
		sort.Strings(want) // UUIDv7: text order is creation order

		items, sizes := servicetest.ListAll(t, e.client.list, httpapi.ListQuery{DTID: dtid, Limit: 2})
		var got []string
		for _, it := range items {
			if it.DTID != dtid || len(it.History) != len(e.svc.created) {
				t.Errorf("item %s: dtid %s, %d history rows", it.ID, it.DTID, len(it.History))
			}
			got = append(got, it.ID)
		}
		if !slices.Equal(got, want) || !slices.Equal(sizes, []int{2, 2, 1}) {
			t.Errorf("pages %v of %v, want [2 2 1] of %v", sizes, got, want)
		}

		ctx := context.Background()
		all, err := e.client.list(ctx, httpapi.ListQuery{})
		if err != nil || len(all.Items) != 7 || all.NextCursor != "" {
			t.Errorf("unfiltered list: %d items, cursor %q, %v", len(all.Items), all.NextCursor, err)
		}
		one, err := e.client.get(ctx, want[0])
		if err != nil || one.ID != want[0] || len(one.History) != len(e.svc.created) {
			t.Errorf("get = %+v, %v", one, err)
		}
	})
}

func TestListRejectsBadParameters(t *testing.T) {
	eachEnv(t, ledger.Config{}, func(t *testing.T, e *env) {
		tests := []struct {
			name string
			q    httpapi.ListQuery
		}{
			{name: "limit_too_large", q: httpapi.ListQuery{Limit: httpapi.MaxListLimit + 1}},
			{name: "negative_limit", q: httpapi.ListQuery{Limit: -1}},
			{name: "cursor_not_a_public_id", q: httpapi.ListQuery{Cursor: "42"}},
			{name: "invalid_dtid", q: httpapi.ListQuery{DTID: "a b"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := e.client.list(context.Background(), tt.q)
				var pe *httpapi.ProblemError
				if !errors.As(err, &pe) || pe.Status != 400 {
					t.Errorf("err = %v, want 400", err)
				}
			})
		}
		if status, _, body := e.Raw(t, "GET", e.path()+"?limit=ten", nil, ""); status != 400 {
			t.Errorf("limit=ten: %d %s", status, body)
		}
		page, err := e.client.list(context.Background(), httpapi.ListQuery{DTID: ids.NewDTID()})
		if err != nil || page.Items == nil || len(page.Items) != 0 {
			t.Errorf("empty list = %+v, %v; want items []", page, err)
		}
	})
}

func TestUnknownRouteIsAProblem(t *testing.T) {
	eachEnv(t, ledger.Config{}, func(t *testing.T, e *env) {
		status, h, _ := e.Raw(t, "GET", "/v2/nothing", nil, "")
		if status != 404 || h.Get("Content-Type") != httpapi.ContentTypeProblem {
			t.Errorf("status %d, Content-Type %q", status, h.Get("Content-Type"))
		}
		for _, path := range []string{"/healthz", "/readyz"} {
			if status, _, body := e.Raw(t, "GET", path, nil, ""); status != 200 {
				t.Errorf("%s = %d: %s", path, status, body)
			}
		}
	})
}
