package payment_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/sagatrace/sagatrace/services/payment/paymentapi"

	"github.com/sagatrace/sagatrace/internal/database/dbtest"
	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/services/payment"
)

func TestChargeWritesEachStateWithTheHopsCorrelationID(t *testing.T) {
	backends.Each(t, func(t *testing.T, backend dbtest.Backend) {
		e := newEnv(t, backend, payment.Config{})
		dtid := ids.NewDTID()
		ctx, traceID := e.Hop(t, dtid)

		p, err := e.client.Charge(ctx, ids.IdempotencyKey(dtid, "payment"), chargeReq(dtid))
		if err != nil {
			t.Fatal(err)
		}
		if p.State != paymentapi.StateCompleted || p.DTID != dtid || p.PaymentID == "" {
			t.Fatalf("payment = %+v", p)
		}
		want := []event{{dtid, "stored", traceID}, {dtid, "initiated", traceID}, {dtid, "completed", traceID}}
		if got := e.events(t, p.PaymentID); !slices.Equal(got, want) {
			t.Errorf("audit rows = %v\nwant       %v", got, want)
		}
		for _, c := range p.History {
			if c.CorrelationID != traceID || c.At.IsZero() {
				t.Errorf("history entry %+v does not carry correlation ID %s", c, traceID)
			}
		}
		if got := states(p.History); !slices.Equal(got, []paymentapi.State{"stored", "initiated", "completed"}) {
			t.Errorf("history = %v", got)
		}

		// The traceparent the client sent is the trace the server continued.
		var clientSpan bool
		for _, s := range e.ClientSpans.Ended() {
			clientSpan = clientSpan || (s.Name() == "HTTP POST" && s.SpanContext().TraceID().String() == traceID)
		}
		if !clientSpan {
			t.Error("no client span in the hop's trace")
		}
		storeSpans := 0
		for _, s := range e.ServerSpans.Ended() {
			if s.SpanContext().TraceID().String() != traceID {
				t.Errorf("server span %q is in trace %s, want %s", s.Name(), s.SpanContext().TraceID(), traceID)
			}
			if !strings.HasPrefix(s.Name(), "payment.store.") {
				continue
			}
			storeSpans++
			attrs := map[string]string{}
			for _, a := range s.Attributes() {
				attrs[string(a.Key)] = a.Value.Emit()
			}
			if attrs["dtid"] != dtid || attrs["db.system.name"] != map[string]string{"sqlite": "sqlite", "postgres": "postgresql"}[backend.Name] {
				t.Errorf("store span %q attributes = %v", s.Name(), attrs)
			}
		}
		if storeSpans != 3 { // create, advance to initiated, advance to completed
			t.Errorf("store spans = %d, want 3", storeSpans)
		}
	})
}

func TestChargeReplay(t *testing.T) {
	backends.Each(t, func(t *testing.T, backend dbtest.Backend) {
		tests := []struct {
			name       string
			change     func(paymentapi.ChargeRequest) paymentapi.ChargeRequest
			wantStatus int
			wantType   string
		}{
			{name: "same_request_returns_same_payment", change: func(r paymentapi.ChargeRequest) paymentapi.ChargeRequest { return r }, wantStatus: 200},
			{name: "different_amount_is_refused", change: func(r paymentapi.ChargeRequest) paymentapi.ChargeRequest { r.AmountCents++; return r }, wantStatus: 422, wantType: paymentapi.TypeIdempotencyKeyReused},
			{name: "different_customer_is_refused", change: func(r paymentapi.ChargeRequest) paymentapi.ChargeRequest { r.CustomerID = "c-2"; return r }, wantStatus: 422, wantType: paymentapi.TypeIdempotencyKeyReused},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				e := newEnv(t, backend, payment.Config{})
				dtid := ids.NewDTID()
				key := ids.IdempotencyKey(dtid, "payment")
				ctx, firstTrace := e.Hop(t, dtid)
				first, err := e.client.Charge(ctx, key, chargeReq(dtid))
				if err != nil {
					t.Fatal(err)
				}

				ctx, _ = e.Hop(t, dtid)
				again, err := e.client.Charge(ctx, key, tt.change(chargeReq(dtid)))
				var pe *httpapi.ProblemError
				switch {
				case tt.wantStatus == 200 && err != nil:
					t.Fatalf("replay: %v", err)
				case tt.wantStatus == 200:
					if again.PaymentID != first.PaymentID || again.State != first.State || len(again.History) != 3 {
						t.Errorf("replay returned %+v, want %+v", again, first)
					}
				case !errors.As(err, &pe) || pe.Status != tt.wantStatus || pe.Type != tt.wantType:
					t.Fatalf("replay error = %v, want %d %s", err, tt.wantStatus, tt.wantType)
				}
				if n := e.Count(t, "payments"); n != 1 {
					t.Errorf("payments = %d, want 1", n)
				}
				for _, ev := range e.events(t, first.PaymentID) {
					if ev.CorrelationID != firstTrace {
						t.Errorf("row %v was rewritten by the replay", ev)
					}
				}
				if n := e.Count(t, "payment_events"); n != 3 {
					t.Errorf("audit rows = %d, want 3", n)
				}
			})
		}
	})
}

func TestChargeReplayStatusCodes(t *testing.T) {
	backends.Each(t, func(t *testing.T, backend dbtest.Backend) {
		e := newEnv(t, backend, payment.Config{})
		dtid := ids.NewDTID()
		body := `{"dtid":"` + dtid + `","customer_id":"c-1","amount_cents":500,"currency":"EUR"}`
		for i, want := range []int{201, 200, 200} {
			status, hdr, resp := e.Post(t, "/v1/payments", "k-status", body)
			if status != want {
				t.Errorf("request %d: status %d, want %d: %s", i+1, status, want, resp)
			}
			if loc := hdr.Get("Location"); (status == 201) != strings.HasPrefix(loc, "/v1/payments/") {
				t.Errorf("request %d: Location %q with status %d", i+1, loc, status)
			}
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
