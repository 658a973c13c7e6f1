package order

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/httpserver"
	"github.com/sagatrace/sagatrace/internal/money"
	"github.com/sagatrace/sagatrace/services/order/orderapi"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
)

// Payments reads the payment an order names. The component's is a
// paymentapi.Client whose token holds payments:read; it sends the
// request's DTID and correlation ID from ctx, as every hop does, and its
// spans are the order service's.
type Payments interface {
	Get(ctx context.Context, paymentID string) (paymentapi.Payment, error)
}

// paymentCheckTimeout bounds the read of the payment: a payment service
// that hangs makes the order a retryable 503 long before the saga's hop
// gives up, rather than holding the request until the server's write
// timeout.
const paymentCheckTimeout = 10 * time.Second

// checkPayment reads the payment req names and refuses the order when it
// cannot pay for it: 422 payment-not-usable when it does not exist or
// does not match (paymentMismatch), 503 payment-unavailable when it could
// not be read. The order is never confirmed without a payment read.
func checkPayment(ctx context.Context, payments Payments, req orderapi.CreateRequest) error {
	ctx, cancel := context.WithTimeout(ctx, paymentCheckTimeout)
	defer cancel()
	p, err := payments.Get(ctx, req.PaymentID)
	var pe *httpapi.ProblemError
	switch {
	case err == nil:
		if reason := paymentMismatch(p, req); reason != "" {
			return notUsable(req.PaymentID, reason)
		}
		return nil
	case errors.As(err, &pe) && pe.Status == http.StatusNotFound:
		return notUsable(req.PaymentID, "it does not exist").Wrap(err)
	case errors.As(err, &pe) && (pe.Status == http.StatusUnauthorized || pe.Status == http.StatusForbidden):
		// The order service's own credential was refused (its token file
		// expired or lacks payments:read): the operator's to fix, and
		// the saga's to retry meanwhile, never the order's fault.
		return httpserver.Unavailable(orderapi.TypePaymentUnavailable,
			"the payment service refused the order service's credential; retry later").Wrap(err)
	default:
		// Unreachable, 5xx, 429, or an answer we cannot read: the check
		// did not happen, so neither does the order.
		return httpserver.Unavailable(orderapi.TypePaymentUnavailable,
			fmt.Sprintf("payment %s could not be read from the payment service; retry later", req.PaymentID)).Wrap(err)
	}
}

func notUsable(paymentID, reason string) *httpserver.Error {
	return httpserver.Refused(orderapi.TypePaymentNotUsable,
		fmt.Sprintf("payment %s cannot pay for this order: %s", paymentID, reason))
}

// paymentMismatch returns why payment p cannot pay for order req, or ""
// when it can: it must be the one named, completed (not stored, initiated,
// declined or refunded), and of the order's DTID, customer, amount and
// currency. Pure, so the rules are tested without HTTP or a database.
func paymentMismatch(p paymentapi.Payment, req orderapi.CreateRequest) string {
	switch {
	case p.PaymentID != req.PaymentID:
		return fmt.Sprintf("the payment service answered with payment %q", p.PaymentID)
	case p.State != paymentapi.StateCompleted:
		return fmt.Sprintf("it is %s, not %s", p.State, paymentapi.StateCompleted)
	case p.DTID != req.DTID:
		return fmt.Sprintf("it belongs to dtid %s, the order to dtid %s", p.DTID, req.DTID)
	case p.CustomerID != req.CustomerID:
		return fmt.Sprintf("it was made by customer %s, the order is for customer %s", p.CustomerID, req.CustomerID)
	case p.Currency != req.Currency || p.AmountCents != req.AmountCents:
		return fmt.Sprintf("it is for %s %s, the order for %s %s",
			p.Currency, money.Format(p.Currency, p.AmountCents), req.Currency, money.Format(req.Currency, req.AmountCents))
	}
	return ""
}
