package order

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/httpserver"
	"github.com/sagatrace/sagatrace/services/order/orderapi"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
)

// The payment rules alone, without HTTP or a database.
func TestPaymentMismatch(t *testing.T) {
	req := orderapi.CreateRequest{DTID: "d-1", CustomerID: "c-1", PaymentID: "p-1", AmountCents: 1299, Currency: "USD"}
	paid := paymentapi.Payment{PaymentID: "p-1", DTID: "d-1", CustomerID: "c-1", AmountCents: 1299, Currency: "USD", State: paymentapi.StateCompleted}
	tests := []struct {
		name   string
		change func(p *paymentapi.Payment)
		want   string // in the reason; "" when the payment pays for the order
	}{
		{name: "completed_and_matching", change: func(*paymentapi.Payment) {}},
		{name: "another_payment", change: func(p *paymentapi.Payment) { p.PaymentID = "p-2" }, want: `answered with payment "p-2"`},
		{name: "stored", change: func(p *paymentapi.Payment) { p.State = paymentapi.StateStored }, want: "it is stored, not completed"},
		{name: "initiated", change: func(p *paymentapi.Payment) { p.State = paymentapi.StateInitiated }, want: "it is initiated, not completed"},
		{name: "declined", change: func(p *paymentapi.Payment) { p.State = paymentapi.StateDeclined }, want: "it is declined, not completed"},
		{name: "refunded", change: func(p *paymentapi.Payment) { p.State = paymentapi.StateRefunded }, want: "it is refunded, not completed"},
		{name: "other_dtid", change: func(p *paymentapi.Payment) { p.DTID = "d-2" }, want: "it belongs to dtid d-2, the order to dtid d-1"},
		{name: "other_customer", change: func(p *paymentapi.Payment) { p.CustomerID = "c-2" }, want: "customer c-2, the order is for customer c-1"},
		{name: "less", change: func(p *paymentapi.Payment) { p.AmountCents = 1298 }, want: "it is for USD 12.98, the order for USD 12.99"},
		{name: "more", change: func(p *paymentapi.Payment) { p.AmountCents = 1300 }, want: "it is for USD 13.00, the order for USD 12.99"},
		{name: "other_currency", change: func(p *paymentapi.Payment) { p.Currency = "EUR" }, want: "it is for EUR 12.99, the order for USD 12.99"},
		{name: "other_currency_decimals", change: func(p *paymentapi.Payment) { p.Currency = "JPY" }, want: "it is for JPY 1299, the order for USD 12.99"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := paid
			tt.change(&p)
			got := paymentMismatch(p, req)
			if (got == "") != (tt.want == "") || !strings.Contains(got, tt.want) {
				t.Errorf("paymentMismatch = %q, want %q", got, tt.want)
			}
		})
	}
}

// paymentsAnswer is a Payments that answers every read with one outcome:
// the mapping of outcomes to problems, without a payment service. The
// order API is tested against the real one (order_test.go).
type paymentsAnswer struct {
	p   paymentapi.Payment
	err error
}

func (a paymentsAnswer) Get(context.Context, string) (paymentapi.Payment, error) { return a.p, a.err }

func TestCheckPaymentMapsOutcomes(t *testing.T) {
	req := orderapi.CreateRequest{DTID: "d-1", CustomerID: "c-1", PaymentID: "p-1", AmountCents: 1299, Currency: "USD"}
	paid := paymentapi.Payment{PaymentID: "p-1", DTID: "d-1", CustomerID: "c-1", AmountCents: 1299, Currency: "USD", State: paymentapi.StateCompleted}
	problem := func(status int) error {
		return &httpapi.ProblemError{Status: status, Type: "x", Detail: "from the payment service"}
	}
	tests := []struct {
		name     string
		answer   paymentsAnswer
		wantKind httpserver.Kind // of the error; 0 (KindInternal) with wantOK
		wantType string
		wantMsg  string
		wantOK   bool
	}{
		{name: "usable", answer: paymentsAnswer{p: paid}, wantOK: true},
		{name: "mismatch", answer: paymentsAnswer{p: paymentapi.Payment{PaymentID: "p-1", State: paymentapi.StateDeclined}},
			wantKind: httpserver.KindRefused, wantType: orderapi.TypePaymentNotUsable, wantMsg: "payment p-1 cannot pay for this order: it is declined"},
		{name: "not_found", answer: paymentsAnswer{err: problem(404)},
			wantKind: httpserver.KindRefused, wantType: orderapi.TypePaymentNotUsable, wantMsg: "payment p-1 cannot pay for this order: it does not exist"},
		{name: "payment_5xx", answer: paymentsAnswer{err: problem(503)},
			wantKind: httpserver.KindUnavailable, wantType: orderapi.TypePaymentUnavailable, wantMsg: "could not be read"},
		{name: "rate_limited", answer: paymentsAnswer{err: problem(429)},
			wantKind: httpserver.KindUnavailable, wantType: orderapi.TypePaymentUnavailable, wantMsg: "could not be read"},
		{name: "unreachable", answer: paymentsAnswer{err: errors.New("dial tcp: connection refused")},
			wantKind: httpserver.KindUnavailable, wantType: orderapi.TypePaymentUnavailable, wantMsg: "could not be read"},
		{name: "credential_refused", answer: paymentsAnswer{err: problem(401)},
			wantKind: httpserver.KindUnavailable, wantType: orderapi.TypePaymentUnavailable, wantMsg: "refused the order service's credential"},
		{name: "scope_missing", answer: paymentsAnswer{err: problem(403)},
			wantKind: httpserver.KindUnavailable, wantType: orderapi.TypePaymentUnavailable, wantMsg: "refused the order service's credential"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkPayment(context.Background(), tt.answer, req)
			if tt.wantOK {
				if err != nil {
					t.Fatalf("checkPayment = %v, want nil", err)
				}
				return
			}
			var he *httpserver.Error
			if !errors.As(err, &he) || he.Kind != tt.wantKind || he.Type != tt.wantType || !strings.Contains(he.Msg, tt.wantMsg) {
				t.Fatalf("checkPayment = %#v, want kind %d type %s message containing %q", err, tt.wantKind, tt.wantType, tt.wantMsg)
			}
			if tt.answer.err != nil && !errors.Is(err, tt.answer.err) {
				t.Errorf("checkPayment = %v, does not wrap the cause %v", err, tt.answer.err)
			}
		})
	}
}
