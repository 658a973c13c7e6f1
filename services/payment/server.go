package payment

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/http"

	"go.opentelemetry.io/otel/trace"

	"github.com/sagatrace/sagatrace/internal/httpserver"
	"github.com/sagatrace/sagatrace/internal/ledger"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
)

// Config is the payment server's configuration.
type Config = ledger.Config

// NewHandler migrates db to the payment schema and returns the payment
// API over it: the ledger's routes, with the charge as the create step.
func NewHandler(ctx context.Context, db *sql.DB, cfg Config, tp trace.TracerProvider, logger *slog.Logger) (http.Handler, error) {
	return ledger.Open(ctx, db, cfg, schema(), migrations, func(store *Store) api { return newAPI(&charger{store: store, tracer: tp.Tracer("payment")}) }, tp, logger)
}

// api is the payment service's ledger API.
type api = ledger.API[paymentapi.Payment, paymentapi.State, paymentapi.ChargeRequest]

func newAPI(c *charger) api {
	a := api{
		Audience: paymentapi.Audience, Collection: "payments", Noun: "charge", Store: c.store,
		Operation: paymentapi.OpCharge,
		Validate:  validateCharge,
		DTIDOf:    func(r paymentapi.ChargeRequest) string { return r.DTID },
		Create:    c.charge,
		Refuse:    declined,
		Compensation: ledger.Compensation[paymentapi.State]{
			Path: "refund", Operation: paymentapi.OpRefund, Next: refundNext,
			UnavailableType:   paymentapi.TypeRefundUnavailable,
			UnavailableDetail: "the card processor is unavailable for refunds; retry later",
		},
	}
	a.Scopes.Write, a.Scopes.Compensate, a.Scopes.Read = paymentapi.ScopeWrite, paymentapi.ScopeRefund, paymentapi.ScopeRead
	a.Problems.NotFound, a.Problems.KeyReused = paymentapi.TypePaymentNotFound, paymentapi.TypeIdempotencyKeyReused
	return a
}

// declined answers a declined payment with 422: the saga compensates
// rather than retrying it.
func declined(p paymentapi.Payment) error {
	if p.State != paymentapi.StateDeclined {
		return nil
	}
	return httpserver.Refused(paymentapi.TypePaymentDeclined, fmt.Sprintf("payment %s was declined by the card processor", p.PaymentID))
}
