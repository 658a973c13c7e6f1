package payment_test

import (
	"context"
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
	"github.com/sagatrace/sagatrace/services/payment"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
)

// env is one payment server on the shared rig (a real database, served
// by httptest, spans of both sides recorded), reached through the real
// paymentapi.Client.
type env struct {
	*servicetest.Env
	client *paymentapi.Client
}

// backends runs each test on SQLite and on PostgreSQL; its cluster starts
// with the first PostgreSQL subtest.
var backends dbtest.Backends

func TestMain(m *testing.M) { os.Exit(backends.Run(m)) }

// eachEnv runs test on every backend, each with an env served with cfg on
// fresh databases: the head of every test of one env.
func eachEnv(t *testing.T, cfg payment.Config, test func(t *testing.T, e *env)) {
	backends.Each(t, func(t *testing.T, backend dbtest.Backend) { test(t, newEnv(t, backend, cfg)) })
}

// newEnv serves the service on a fresh database of backend.
func newEnv(t *testing.T, backend dbtest.Backend, cfg payment.Config) *env {
	t.Helper()
	e, client := servicetest.ServePayment(t, backend.URL(t), cfg)
	return &env{Env: e, client: client}
}

// event is an audit row as stored; a local type, so tests write it unkeyed.
type event servicetest.Event

// events returns the audit rows of a payment, oldest first.
func (e *env) events(t *testing.T, paymentID string) []event {
	t.Helper()
	rows := e.Events(t, `SELECT ev.dtid, ev.state, ev.correlation_id FROM payment_events ev
		JOIN payments p ON p.id = ev.payment WHERE p.payment_id = $1 ORDER BY ev.id`, paymentID)
	out := make([]event, len(rows))
	for i, r := range rows {
		out[i] = event(r)
	}
	return out
}

func chargeReq(dtid string) paymentapi.ChargeRequest {
	return paymentapi.ChargeRequest{DTID: dtid, CustomerID: "c-1", AmountCents: 1299, Currency: "USD"}
}

func states(h []paymentapi.StateChange) []paymentapi.State {
	out := make([]paymentapi.State, len(h))
	for i, c := range h {
		out[i] = c.State
	}
	return out
}

// The processor's decline is a final answer: 422, not retryable, with the
// hop's identities, and a replay answers the same without writing.
func TestChargeDeclinedByProcessor(t *testing.T) {
	eachEnv(t, payment.Config{FaultsEnabled: true}, func(t *testing.T, e *env) {
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
	eachEnv(t, payment.Config{}, func(t *testing.T, e *env) {
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
		for _, p := range servicetest.ReadBack(t, ctx, e.client.Reads, charged, charged.PaymentID, dtid, 2) {
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

func TestChargeRejectsBadRequestsWithoutWriting(t *testing.T) {
	eachEnv(t, payment.Config{}, func(t *testing.T, e *env) {
		const valid = `{"dtid":"d-1","customer_id":"c-1","amount_cents":1299,"currency":"USD"}`
		jsonKey := servicetest.JSONHeaders("k-1")
		with := func(extra map[string]string) map[string]string {
			h := servicetest.JSONHeaders("k-1")
			for k, v := range extra {
				h[k] = v
			}
			return h
		}
		tests := []struct {
			name    string
			headers map[string]string
			body    string
			detail  string // must appear in the problem's detail
		}{
			{name: "malformed_json", headers: jsonKey, body: `{"dtid":`, detail: "truncated"},
			{name: "not_json", headers: jsonKey, body: `dtid=d-1`, detail: "not valid JSON"},
			{name: "unknown_field", headers: jsonKey, body: `{"dtid":"d-1","card_number":"4111111111111111"}`, detail: `unknown field "card_number"`},
			{name: "amount_as_string", headers: jsonKey, body: `{"amount_cents":"12.99"}`, detail: `field "amount_cents" must be an integer`},
			{name: "duplicate_dtid", headers: jsonKey, body: `{"dtid":"a","dtid":"b","customer_id":"c-1","amount_cents":1,"currency":"USD"}`, detail: `field "dtid" appears more than once`},
			{name: "upper_case_dtid", headers: jsonKey, body: `{"DTID":"d-1","customer_id":"c-1","amount_cents":1,"currency":"USD"}`, detail: `unknown field "DTID"`},
			{name: "title_case_amount", headers: jsonKey, body: `{"dtid":"d-1","customer_id":"c-1","Amount_Cents":1,"currency":"USD"}`, detail: `unknown field "Amount_Cents"`},
			{name: "missing_idempotency_key", headers: servicetest.JSONHeaders(""), body: valid, detail: "Idempotency-Key"},
			{name: "wrong_content_type", headers: with(map[string]string{"Content-Type": "text/plain"}), body: valid, detail: "Content-Type"},
			{name: "bad_currency", headers: jsonKey, body: `{"dtid":"d-1","customer_id":"c-1","amount_cents":1299,"currency":"XXX"}`, detail: `currency "XXX"`},
			{name: "lowercase_currency", headers: jsonKey, body: `{"dtid":"d-1","customer_id":"c-1","amount_cents":1299,"currency":"usd"}`, detail: `currency "usd"`},
			{name: "negative_amount", headers: jsonKey, body: `{"dtid":"d-1","customer_id":"c-1","amount_cents":-5,"currency":"USD"}`, detail: "amount_cents must be greater than 0"},
			{name: "zero_amount", headers: jsonKey, body: `{"dtid":"d-1","customer_id":"c-1","amount_cents":0,"currency":"USD"}`, detail: "amount_cents must be greater than 0"},
			{name: "absurd_amount", headers: jsonKey, body: `{"dtid":"d-1","customer_id":"c-1","amount_cents":1000000001,"currency":"USD"}`, detail: "amount_cents must be at most"},
			{name: "missing_customer", headers: jsonKey, body: `{"dtid":"d-1","amount_cents":1,"currency":"USD"}`, detail: "customer_id is required"},
			{name: "missing_dtid", headers: jsonKey, body: `{"customer_id":"c-1","amount_cents":1,"currency":"USD"}`, detail: "dtid"},
			{name: "dtid_differs_from_header", headers: with(map[string]string{"X-DTID": "d-2"}), body: valid, detail: "X-DTID"},
			{name: "invalid_dtid_header", headers: with(map[string]string{"X-DTID": "not a dtid"}), body: valid, detail: "X-DTID"},
			{name: "card_number_as_customer", headers: jsonKey, body: `{"dtid":"d-1","customer_id":"4111111111111111","amount_cents":1,"currency":"USD"}`, detail: "customer_id holds a card number"},
			{name: "card_number_as_token", headers: jsonKey, body: `{"dtid":"d-1","customer_id":"c-1","amount_cents":1,"currency":"USD","card_token":"4111 1111 1111 1111","card_last4":"1111"}`, detail: "card_token holds a card number"},
			{name: "card_number_inside_token", headers: jsonKey, body: `{"dtid":"d-1","customer_id":"c-1","amount_cents":1,"currency":"USD","card_token":"tok_4111111111111111","card_last4":"1111"}`, detail: "card_token holds a card number"},
			{name: "card_number_as_last4", headers: jsonKey, body: `{"dtid":"d-1","customer_id":"c-1","amount_cents":1,"currency":"USD","card_token":"tok_abcd","card_last4":"4111111111111111"}`, detail: "card_last4 holds a card number"},
			{name: "last4_not_four_digits", headers: jsonKey, body: `{"dtid":"d-1","customer_id":"c-1","amount_cents":1,"currency":"USD","card_token":"tok_abcd","card_last4":"11a1"}`, detail: "card_last4 must be exactly four digits"},
			{name: "token_without_last4", headers: jsonKey, body: `{"dtid":"d-1","customer_id":"c-1","amount_cents":1,"currency":"USD","card_token":"tok_abcd"}`, detail: "send both or neither"},
			{name: "every_problem_at_once", headers: jsonKey, body: `{"amount_cents":-1,"currency":"X"}`, detail: "dtid: dtid is empty; customer_id is required; amount_cents must be greater than 0"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				p, body := e.Problem(t, 400, "POST", "/v1/payments", tt.headers, tt.body)
				if p.Status != 400 || !strings.Contains(p.Detail, tt.detail) || p.CorrelationID == "" {
					t.Errorf("problem = %+v, want detail containing %q", p, tt.detail)
				}
				if strings.Contains(body, "4111111111111111") || strings.Contains(body, "4111 1111") {
					t.Errorf("the problem repeats the card number: %s", body)
				}
			})
		}
		if n := e.Count(t, "payments") + e.Count(t, "payment_events"); n != 0 {
			t.Errorf("%d rows written by rejected requests", n)
		}
	})
}

// A card number is refused wherever a client may put one — the X-DTID
// header, the body's dtid and customer_id, the card token, a path's DTID
// or payment ID — in every spelling the detector knows, and no answer or
// log line repeats it.
func TestCardNumbersAreRefusedAtEveryDoor(t *testing.T) {
	eachEnv(t, payment.Config{}, func(t *testing.T, e *env) {
		charges := func(string) string { return "/v1/payments" }
		body := func(dtid, customer, token string) func(string) string {
			return func(card string) string {
				pick := func(v string) string {
					if v == "" {
						return card
					}
					return v
				}
				return `{"dtid":` + pick(dtid) + `,"customer_id":` + pick(customer) + `,"amount_cents":1,"currency":"USD","card_token":` + pick(token) + `,"card_last4":"1111"}`
			}
		}
		e.RefusesCardNumbers(t, []servicetest.CardDoor{
			{Name: "x_dtid", Method: "POST", Path: charges, Status: 400, Detail: "X-DTID",
				Headers: func(card string) map[string]string {
					h := servicetest.JSONHeaders("k-card")
					h[ids.HeaderDTID] = card
					return h
				},
				Body: body(`"d-1"`, `"c-1"`, `"tok_abcd"`)},
			{Name: "dtid", Method: "POST", Path: charges, Status: 400, Detail: "dtid holds a card number", Body: body("", `"c-1"`, `"tok_abcd"`)},
			{Name: "customer_id", Method: "POST", Path: charges, Status: 400, Detail: "customer_id holds a card number", Body: body(`"d-1"`, "", `"tok_abcd"`)},
			{Name: "card_token", Method: "POST", Path: charges, Status: 400, Detail: "card_token holds a card number", Body: body(`"d-1"`, `"c-1"`, "")},
			{Name: "refund_by_dtid", Method: "POST", Path: func(card string) string { return "/v1/payments/by-dtid/" + card + "/refund" },
				Status: 400, Detail: "dtid holds a card number"},
			{Name: "get_by_id", Method: "GET", Path: func(card string) string { return "/v1/payments/" + card }, Status: 404, Detail: "no payment"},
		})
		if n := e.Count(t, "payments") + e.Count(t, "payment_events"); n != 0 {
			t.Errorf("%d rows written by refused requests", n)
		}
	})
}
