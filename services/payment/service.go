package payment

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"log/slog"
	"net/http"

	"go.opentelemetry.io/otel/trace"

	"github.com/sagatrace/sagatrace/internal/database"
	"github.com/sagatrace/sagatrace/internal/httpserver"
	"github.com/sagatrace/sagatrace/internal/ledger"
	"github.com/sagatrace/sagatrace/internal/money"
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

// migrations holds the directory migrations, with a directory per dialect
// in it (see database.Migrate): the versions the ledger does not write.
//
//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrations embed.FS

// Store keeps payments and their audit rows (see ledger.Store).
type Store = ledger.Store[paymentapi.Payment, paymentapi.State]

// schema is the payments table as the ledger sees it: a function, as Go
// has no constant structs.
func schema() ledger.Schema[paymentapi.Payment, paymentapi.State] {
	return ledger.Schema[paymentapi.Payment, paymentapi.State]{
		Name: "payment", Table: "payments", IDColumn: "payment_id",
		Audit:   database.AuditTable{Name: "payment_events", Ref: "payment"},
		Columns: []string{"customer_id", "amount_cents", "currency", "card_token", "card_last4"},
		InitColumns: `customer_id TEXT NOT NULL,
			amount_cents BIGINT NOT NULL CHECK (amount_cents > 0),
			currency TEXT NOT NULL`,
		Common: func(p *paymentapi.Payment) ledger.Common[paymentapi.State] {
			return ledger.Common[paymentapi.State]{ID: &p.PaymentID, DTID: &p.DTID, State: &p.State,
				CreatedAt: &p.CreatedAt, UpdatedAt: &p.UpdatedAt, History: &p.History}
		},
		Values: func(p *paymentapi.Payment) ([]any, error) {
			return []any{p.CustomerID, p.AmountCents, p.Currency, p.CardToken, p.CardLast4}, nil
		},
		Scan: func(p *paymentapi.Payment) ([]any, func() error) {
			return []any{&p.CustomerID, &p.AmountCents, &p.Currency, &p.CardToken, &p.CardLast4}, nil
		},
	}
}

// validateCharge returns every problem of req at once, each naming its field, so
// a client fixes its request in one round trip. headerDTID is X-DTID ("" when
// absent): the body and the header must agree on the transaction.
func validateCharge(req paymentapi.ChargeRequest, headerDTID string) httpserver.Problems {
	var problems httpserver.Problems
	problems.CheckDTID(req.DTID, headerDTID)
	problems.CheckID("customer_id", req.CustomerID)
	problems.Add(money.CheckAmount("amount_cents", req.AmountCents))
	problems.Add(money.CheckCurrency(req.Currency))
	for _, p := range paymentapi.CardProblems(req.CardToken, req.CardLast4) {
		problems.Add(p)
	}
	return problems
}
