package order_test

import (
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/sagatrace/sagatrace/internal/database/dbtest"
	"github.com/sagatrace/sagatrace/internal/faults"
	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/servicetest"
	"github.com/sagatrace/sagatrace/services/order"
	"github.com/sagatrace/sagatrace/services/order/orderapi"
)

// env is one order server on the shared rig (a real database, served by
// httptest, spans of both sides recorded), reached through the real orderapi.Client.
type env struct {
	*servicetest.Env
	client *orderapi.Client
}

// backends runs each test on SQLite and on PostgreSQL; its cluster starts
// with the first PostgreSQL subtest.
var backends dbtest.Backends

func TestMain(m *testing.M) { os.Exit(backends.Run(m)) }

// newEnv serves the service on a fresh database of backend.
func newEnv(t *testing.T, backend dbtest.Backend, cfg order.Config) *env {
	t.Helper()
	e := servicetest.New(t, "order", backend.URL(t), servicetest.Ledger(t, cfg, order.NewHandler))
	return &env{Env: e, client: orderapi.NewClient(e.URL, e.HTTPClient)}
}

// createReq is a valid order of two lines worth 1299 + 2*500 cents.
func createReq(dtid string) orderapi.CreateRequest {
	return orderapi.CreateRequest{
		DTID: dtid, CustomerID: "c-1", PaymentID: "0197a1b2-0000-7000-8000-000000000001",
		AmountCents: 2299, Currency: "USD",
		Items: []orderapi.Item{{SKU: "sku-1", Qty: 1, PriceCents: 1299}, {SKU: "sku-2", Qty: 2, PriceCents: 500}},
	}
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

func TestCreateRejectsBadRequestsWithoutWriting(t *testing.T) {
	backends.Each(t, func(t *testing.T, backend dbtest.Backend) {
		body := func(fields string) string {
			return `{"dtid":"d-1","customer_id":"c-1","payment_id":"p-1","currency":"USD",` + fields + `}`
		}
		jsonKey := servicetest.JSONHeaders("k-1")
		tests := []struct {
			name    string
			headers map[string]string
			body    string
			detail  string
		}{
			{name: "malformed_json", headers: jsonKey, body: `{"items":[`, detail: "truncated"},
			{name: "unknown_field", headers: jsonKey, body: body(`"amount_cents":1,"items":[],"note":"x"`), detail: `unknown field "note"`},
			{name: "unknown_item_field", headers: jsonKey, body: body(`"amount_cents":1,"items":[{"sku":"s","qty":1,"price_cents":1,"color":"red"}]`), detail: `unknown field "color"`},
			{name: "qty_as_string", headers: jsonKey, body: body(`"amount_cents":1,"items":[{"sku":"s","qty":"1","price_cents":1}]`), detail: `field "items.qty" must be an integer`},
			{name: "missing_idempotency_key", headers: servicetest.JSONHeaders(""), body: body(`"amount_cents":1,"items":[{"sku":"s","qty":1,"price_cents":1}]`), detail: "Idempotency-Key"},
			{name: "no_items", headers: jsonKey, body: body(`"amount_cents":1,"items":[]`), detail: "items must hold at least one item"},
			{name: "zero_qty", headers: jsonKey, body: body(`"amount_cents":1,"items":[{"sku":"s","qty":0,"price_cents":1}]`), detail: "items[0].qty must be from 1"},
			{name: "negative_price", headers: jsonKey, body: body(`"amount_cents":1,"items":[{"sku":"s","qty":1,"price_cents":-1}]`), detail: "items[0].price_cents must be from 0"},
			{name: "missing_sku", headers: jsonKey, body: body(`"amount_cents":1,"items":[{"qty":1,"price_cents":1}]`), detail: "items[0].sku"},
			{name: "sum_differs_from_amount", headers: jsonKey, body: body(`"amount_cents":1000,"items":[{"sku":"s","qty":3,"price_cents":300}]`), detail: "items add up to 900"},
			{name: "negative_amount", headers: jsonKey, body: body(`"amount_cents":-5,"items":[{"sku":"s","qty":1,"price_cents":0}]`), detail: "amount_cents must be greater than 0"},
			{name: "bad_currency", headers: jsonKey, body: `{"dtid":"d-1","customer_id":"c-1","payment_id":"p-1","currency":"BTC","amount_cents":1,"items":[{"sku":"s","qty":1,"price_cents":1}]}`, detail: `currency "BTC"`},
			{name: "missing_payment_id", headers: jsonKey, body: `{"dtid":"d-1","customer_id":"c-1","currency":"USD","amount_cents":1,"items":[{"sku":"s","qty":1,"price_cents":1}]}`, detail: "payment_id is required"},
		}
		e := newEnv(t, backend, order.Config{})
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				status, h, resp := e.Raw(t, "POST", "/v1/orders", tt.headers, tt.body)
				if status != 400 || h.Get("Content-Type") != httpapi.ContentTypeProblem {
					t.Fatalf("status %d, Content-Type %q, want 400 problem+json: %s", status, h.Get("Content-Type"), resp)
				}
				var p httpapi.Problem
				if err := json.Unmarshal([]byte(resp), &p); err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(p.Detail, tt.detail) {
					t.Errorf("detail %q does not contain %q", p.Detail, tt.detail)
				}
			})
		}
		if n := e.Count(t, "orders") + e.Count(t, "order_events"); n != 0 {
			t.Errorf("%d rows written by rejected requests", n)
		}
	})
}
