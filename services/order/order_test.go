package order_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"os"
	"slices"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/trace/noop"

	"github.com/sagatrace/sagatrace/internal/database/dbtest"
	"github.com/sagatrace/sagatrace/internal/faults"
	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/servicetest"
	"github.com/sagatrace/sagatrace/services/order"
	"github.com/sagatrace/sagatrace/services/order/orderapi"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
)

// env is one order server on the shared rig (a real database, served by
// httptest, spans of both sides recorded), reached through the real
// orderapi.Client, and checking payments with the real payment service on
// a database of its own.
type env struct {
	*servicetest.Env
	client *orderapi.Client
	// payment is the payment service the order service reads payments
	// from; pay charges and refunds there with every scope.
	payment *servicetest.Env
	pay     *paymentapi.Client
}

// backends runs each test on SQLite and on PostgreSQL; its cluster starts
// with the first PostgreSQL subtest.
var backends dbtest.Backends

func TestMain(m *testing.M) { os.Exit(backends.Run(m)) }

// eachEnv runs test on every backend, each with an env served with cfg on
// fresh databases: the head of every test of one env.
func eachEnv(t *testing.T, cfg order.Config, test func(t *testing.T, e *env)) {
	backends.Each(t, func(t *testing.T, backend dbtest.Backend) { test(t, newEnv(t, backend, cfg)) })
}

// newEnv serves the payment service and the order service, each on a
// fresh database of backend, the order service reading payments from it.
func newEnv(t *testing.T, backend dbtest.Backend, cfg order.Config) *env {
	t.Helper()
	pe, pay := servicetest.ReadPayments(t, backend.URL(t))
	e := newOrderEnv(t, backend, cfg, pe.URL)
	e.payment, e.pay = pe, pay
	return e
}

// newOrderEnv serves the order service reading payments from paymentURL.
func newOrderEnv(t *testing.T, backend dbtest.Backend, cfg order.Config, paymentURL string) *env {
	t.Helper()
	e := servicetest.New(t, "order", backend.URL(t), servicetest.Order(t, cfg, paymentURL))
	return &env{Env: e, client: orderapi.NewClient(e.URL, e.HTTPClient)}
}

// createReq is a valid order of two lines worth 1299 + 2*500 cents, paid
// by a payment that does not exist: paid makes one.
func createReq(dtid string) orderapi.CreateRequest {
	return orderapi.CreateRequest{
		DTID: dtid, CustomerID: "c-1", PaymentID: "0197a1b2-0000-7000-8000-000000000001",
		AmountCents: 2299, Currency: "USD",
		Items: []orderapi.Item{{SKU: "sku-1", Qty: 1, PriceCents: 1299}, {SKU: "sku-2", Qty: 2, PriceCents: 500}},
	}
}

// paid charges the payment req asks for at the payment service and
// returns req naming it.
func (e *env) paid(t *testing.T, req orderapi.CreateRequest) orderapi.CreateRequest {
	t.Helper()
	p, err := e.pay.Charge(context.Background(), ids.IdempotencyKey(req.DTID, "payment"), paymentapi.ChargeRequest{
		DTID: req.DTID, CustomerID: req.CustomerID, AmountCents: req.AmountCents, Currency: req.Currency})
	if err != nil || p.State != paymentapi.StateCompleted {
		t.Fatalf("charge = %+v, %v", p, err)
	}
	req.PaymentID = p.PaymentID
	return req
}

func TestCreateRejectedByFaultWritesNothing(t *testing.T) {
	eachEnv(t, order.Config{FaultsEnabled: true}, func(t *testing.T, e *env) {
		dtid := ids.NewDTID()
		key := ids.IdempotencyKey(dtid, "order")
		ctx, traceID := e.Hop(t, dtid)
		req := e.paid(t, createReq(dtid))
		_, err := e.client.Create(faults.WithPlan(ctx, "payment.charge=error,order.create=error"), key, req)
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
		if o, err := e.client.Create(ctx, key, req); err != nil || o.State != orderapi.StateConfirmed {
			t.Errorf("create after rejection = %+v, %v", o, err)
		}
	})
}

// An order keeps what was asked, its items among them, and every read
// gives them back (the ledger's own tests cover states and audit rows).
func TestCreateKeepsTheRequest(t *testing.T) {
	eachEnv(t, order.Config{}, func(t *testing.T, e *env) {
		dtid := ids.NewDTID()
		ctx, _ := e.Hop(t, dtid)
		want := e.paid(t, createReq(dtid))
		made, err := e.client.Create(ctx, ids.IdempotencyKey(dtid, "order"), want)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range servicetest.ReadBack(t, ctx, e.client.Reads, made, made.OrderID, dtid, 1) {
			if o.State != orderapi.StateConfirmed || o.DTID != dtid || o.CustomerID != want.CustomerID || o.PaymentID != want.PaymentID ||
				o.AmountCents != want.AmountCents || o.Currency != want.Currency || !slices.Equal(o.Items, want.Items) {
				t.Errorf("order = %+v, want the request %+v", o, want)
			}
		}
	})
}

func TestCreateRejectsBadRequestsWithoutWriting(t *testing.T) {
	eachEnv(t, order.Config{}, func(t *testing.T, e *env) {
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
			{name: "duplicate_dtid", headers: jsonKey, body: `{"dtid":"a",` + body(`"amount_cents":1,"items":[{"sku":"s","qty":1,"price_cents":1}]`)[1:], detail: `field "dtid" appears more than once`},
			{name: "duplicate_sku", headers: jsonKey, body: body(`"amount_cents":1,"items":[{"sku":"s","sku":"t","qty":1,"price_cents":1}]`), detail: `field "items.sku" appears more than once`},
			{name: "upper_case_sku", headers: jsonKey, body: body(`"amount_cents":1,"items":[{"SKU":"s","qty":1,"price_cents":1}]`), detail: `unknown field "SKU" in "items"`},
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
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				p, _ := e.Problem(t, 400, "POST", "/v1/orders", tt.headers, tt.body)
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

// confirmed confirms an order of a new DTID, paid by a new payment, in a
// hop of its own; it returns the order, its request and the hop's trace ID.
func (e *env) confirmed(t *testing.T) (orderapi.Order, orderapi.CreateRequest, string) {
	t.Helper()
	dtid := ids.NewDTID()
	req := e.paid(t, createReq(dtid))
	ctx, traceID := e.Hop(t, dtid)
	o, err := e.client.Create(ctx, ids.IdempotencyKey(dtid, "order"), req)
	if err != nil {
		t.Fatal(err)
	}
	return o, req, traceID
}

// An order is confirmed only for a completed payment of its own DTID,
// customer, amount and currency; anything else is refused (422
// payment-not-usable, naming the reason) and writes nothing.
func TestCreateChecksThePayment(t *testing.T) {
	eachEnv(t, order.Config{}, func(t *testing.T, e *env) {
		ctx := context.Background()
		// paidFor names a payment for the order changed by change.
		paidFor := func(change func(other *orderapi.CreateRequest)) func(*testing.T, orderapi.CreateRequest) orderapi.CreateRequest {
			return func(t *testing.T, req orderapi.CreateRequest) orderapi.CreateRequest {
				other := req
				change(&other)
				req.PaymentID = e.paid(t, other).PaymentID
				return req
			}
		}
		tests := []struct {
			name string
			// payment makes the payment the order names, for order
			// request req; it returns the request to send.
			payment    func(t *testing.T, req orderapi.CreateRequest) orderapi.CreateRequest
			wantStatus int
			wantDetail string
		}{
			{name: "completed_matching", wantStatus: 201, payment: e.paid},
			{name: "absent", wantStatus: 422, wantDetail: "it does not exist",
				payment: func(_ *testing.T, req orderapi.CreateRequest) orderapi.CreateRequest {
					req.PaymentID = ids.NewUUID()
					return req
				}},
			{name: "declined", wantStatus: 422, wantDetail: "it is declined, not completed",
				payment: func(t *testing.T, req orderapi.CreateRequest) orderapi.CreateRequest {
					_, err := e.pay.Charge(faults.WithPlan(ctx, "payment.charge=error"), ids.IdempotencyKey(req.DTID, "payment"), paymentapi.ChargeRequest{
						DTID: req.DTID, CustomerID: req.CustomerID, AmountCents: req.AmountCents, Currency: req.Currency})
					var pe *httpapi.ProblemError
					if !errors.As(err, &pe) || pe.Type != paymentapi.TypePaymentDeclined {
						t.Fatalf("charge = %v, want declined", err)
					}
					page, err := e.pay.List(ctx, paymentapi.ListFilter{DTID: req.DTID})
					if err != nil || len(page.Items) != 1 {
						t.Fatalf("payments of the DTID = %+v, %v", page, err)
					}
					req.PaymentID = page.Items[0].PaymentID
					return req
				}},
			{name: "refunded", wantStatus: 422, wantDetail: "it is refunded, not completed",
				payment: func(t *testing.T, req orderapi.CreateRequest) orderapi.CreateRequest {
					req = e.paid(t, req)
					if p, err := e.pay.Refund(ctx, "refund-"+req.DTID, req.PaymentID); err != nil || p.State != paymentapi.StateRefunded {
						t.Fatalf("refund = %+v, %v", p, err)
					}
					return req
				}},
			{name: "other_amount", wantStatus: 422, wantDetail: "it is for USD 23.00, the order for USD 22.99",
				payment: paidFor(func(other *orderapi.CreateRequest) { other.AmountCents++ })},
			{name: "other_currency", wantStatus: 422, wantDetail: "it is for EUR 22.99, the order for USD 22.99",
				payment: paidFor(func(other *orderapi.CreateRequest) { other.Currency = "EUR" })},
			{name: "other_dtid", wantStatus: 422, wantDetail: "it belongs to dtid",
				payment: paidFor(func(other *orderapi.CreateRequest) { other.DTID = ids.NewDTID() })},
			{name: "other_customer", wantStatus: 422, wantDetail: "it was made by customer c-2",
				payment: paidFor(func(other *orderapi.CreateRequest) { other.CustomerID = "c-2" })},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				dtid := ids.NewDTID()
				req := tt.payment(t, createReq(dtid))
				before := e.Count(t, "orders") + e.Count(t, "order_events")
				body, err := json.Marshal(req)
				if err != nil {
					t.Fatal(err)
				}
				status, h, resp := e.Post(t, "/v1/orders", ids.IdempotencyKey(dtid, "order"), string(body))
				if status != tt.wantStatus {
					t.Fatalf("status %d, want %d: %s", status, tt.wantStatus, resp)
				}
				written := e.Count(t, "orders") + e.Count(t, "order_events") - before
				if tt.wantStatus == 201 {
					if written != 2 { // the order and its audit row
						t.Errorf("%d rows written, want the order and its audit row", written)
					}
					return
				}
				var p httpapi.Problem
				if err := json.Unmarshal([]byte(resp), &p); err != nil {
					t.Fatal(err)
				}
				if h.Get("Content-Type") != httpapi.ContentTypeProblem || p.Slug() != orderapi.TypePaymentNotUsable ||
					!strings.Contains(p.Detail, "payment "+req.PaymentID+" cannot pay for this order: "+tt.wantDetail) {
					t.Errorf("problem %s %+v, want %s naming %q", h.Get("Content-Type"), p, orderapi.TypePaymentNotUsable, tt.wantDetail)
				}
				if written != 0 {
					t.Errorf("%d rows written by a refused order", written)
				}
			})
		}
	})
}

// The payment is read as every hop's calls are made: traced, with the
// request's DTID and correlation ID, with a token the payment service
// accepts.
func TestCreateReadsThePaymentWithTheHopsIdentities(t *testing.T) {
	eachEnv(t, order.Config{}, func(t *testing.T, e *env) {
		_, req, traceID := e.confirmed(t)
		dtid := req.DTID
		for _, s := range e.payment.ServerSpans.Ended() {
			attrs := map[string]string{}
			for _, kv := range s.Attributes() {
				attrs[string(kv.Key)] = kv.Value.Emit()
			}
			if strings.HasPrefix(s.Name(), "GET ") && attrs[ids.AttrDTID] == dtid && attrs[ids.AttrCorrelationID] == traceID {
				return
			}
		}
		t.Errorf("no GET span at the payment service carries dtid %s and correlation ID %s", dtid, traceID)
	})
}

// Without a payment read there is no order: an unreachable or failing
// payment service is a retryable 503, and nothing is written.
func TestCreateWithoutThePaymentServiceIsRetryable(t *testing.T) {
	backends.Each(t, func(t *testing.T, backend dbtest.Backend) {
		// An address nothing listens on any more.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		down := "http://" + ln.Addr().String()
		ln.Close()
		failing := newEnv(t, backend, order.Config{})
		tests := []struct {
			name string
			e    *env
			req  orderapi.CreateRequest
		}{
			{name: "unreachable", e: newOrderEnv(t, backend, order.Config{}, down), req: createReq(ids.NewDTID())},
			// The payment exists, but its service fails to read it (500).
			{name: "failing", e: failing, req: failing.paid(t, createReq(ids.NewDTID()))},
		}
		if err := failing.payment.DB.Close(); err != nil {
			t.Fatal(err)
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ctx, _ := tt.e.Hop(t, tt.req.DTID)
				_, err := tt.e.client.Create(ctx, ids.IdempotencyKey(tt.req.DTID, "order"), tt.req)
				var pe *httpapi.ProblemError
				if !errors.As(err, &pe) || pe.Status != 503 || pe.Type != orderapi.TypePaymentUnavailable || !pe.Retryable() {
					t.Fatalf("err = %v, want a retryable 503 %s", err, orderapi.TypePaymentUnavailable)
				}
				if n := tt.e.Count(t, "orders") + tt.e.Count(t, "order_events"); n != 0 {
					t.Errorf("%d rows written without a payment read", n)
				}
			})
		}
	})
}

// A replay of an order's Idempotency-Key answers the order as created,
// without reading the payment again: the check ran when it was created,
// and a refund since is the compensation's business.
func TestCreateReplayIsNotCheckedAgain(t *testing.T) {
	eachEnv(t, order.Config{}, func(t *testing.T, e *env) {
		made, req, _ := e.confirmed(t)
		dtid, key := req.DTID, ids.IdempotencyKey(req.DTID, "order")
		if p, err := e.pay.Refund(context.Background(), "refund-"+dtid, req.PaymentID); err != nil || p.State != paymentapi.StateRefunded {
			t.Fatalf("refund = %+v, %v", p, err)
		}
		body, err := json.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		status, _, resp := e.Post(t, "/v1/orders", key, string(body))
		var got orderapi.Order
		if status != 200 || json.Unmarshal([]byte(resp), &got) != nil || got.OrderID != made.OrderID {
			t.Fatalf("replay = %d %s, want 200 with order %s", status, resp, made.OrderID)
		}
	})
}

// The order service refuses to start without a payment service to check
// orders against.
func TestHandlerNeedsPayments(t *testing.T) {
	_, err := order.Handler(nil)(context.Background(), nil, order.Config{}, noop.NewTracerProvider(), slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "no payment service") {
		t.Fatalf("Handler(nil) = %v, want an error naming the missing payment service", err)
	}
}

// A card number is refused wherever a client may put one — the X-DTID
// header, the body's dtid, customer_id, payment_id and an item's SKU, a
// path's DTID or order ID — in every spelling the detector knows, and no
// answer or log line repeats it.
func TestCardNumbersAreRefusedAtEveryDoor(t *testing.T) {
	eachEnv(t, order.Config{}, func(t *testing.T, e *env) {
		orders := func(string) string { return "/v1/orders" }
		body := func(field string) func(string) string {
			return func(card string) string {
				v := map[string]string{"dtid": `"d-1"`, "customer_id": `"c-1"`, "payment_id": `"p-1"`, "sku": `"s-1"`}
				v[field] = card
				return `{"dtid":` + v["dtid"] + `,"customer_id":` + v["customer_id"] + `,"payment_id":` + v["payment_id"] +
					`,"currency":"USD","amount_cents":1,"items":[{"sku":` + v["sku"] + `,"qty":1,"price_cents":1}]}`
			}
		}
		e.RefusesCardNumbers(t, []servicetest.CardDoor{
			{Name: "x_dtid", Method: "POST", Path: orders, Status: 400, Detail: "X-DTID", Body: body("none"),
				Headers: func(card string) map[string]string {
					h := servicetest.JSONHeaders("k-card")
					h[ids.HeaderDTID] = card
					return h
				}},
			{Name: "dtid", Method: "POST", Path: orders, Status: 400, Detail: "dtid holds a card number", Body: body("dtid")},
			{Name: "customer_id", Method: "POST", Path: orders, Status: 400, Detail: "customer_id holds a card number", Body: body("customer_id")},
			{Name: "payment_id", Method: "POST", Path: orders, Status: 400, Detail: "payment_id holds a card number", Body: body("payment_id")},
			{Name: "sku", Method: "POST", Path: orders, Status: 400, Detail: "items[0].sku holds a card number", Body: body("sku")},
			{Name: "cancel_by_dtid", Method: "POST", Path: func(card string) string { return "/v1/orders/by-dtid/" + card + "/cancel" },
				Status: 400, Detail: "dtid holds a card number"},
			{Name: "get_by_id", Method: "GET", Path: func(card string) string { return "/v1/orders/" + card }, Status: 404, Detail: "no order"},
		})
		if n := e.Count(t, "orders") + e.Count(t, "order_events"); n != 0 {
			t.Errorf("%d rows written by refused requests", n)
		}
	})
}
