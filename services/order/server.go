package order

import (
	"context"
	"database/sql"
	"log/slog"
	"net/http"

	"go.opentelemetry.io/otel/trace"

	"github.com/sagatrace/sagatrace/internal/ledger"
	"github.com/sagatrace/sagatrace/services/order/orderapi"
)

// Config is the order server's configuration.
type Config = ledger.Config

// NewHandler migrates db to the order schema and returns the order API
// over it: the ledger's routes, with the confirmation as the create step.
func NewHandler(ctx context.Context, db *sql.DB, cfg Config, tp trace.TracerProvider, logger *slog.Logger) (http.Handler, error) {
	return ledger.Open(ctx, db, cfg, schema(), nil, newAPI, tp, logger)
}

func newAPI(store *Store) ledger.API[orderapi.Order, orderapi.State, orderapi.CreateRequest] {
	a := ledger.API[orderapi.Order, orderapi.State, orderapi.CreateRequest]{
		Audience: orderapi.Audience, Collection: "orders", Noun: "order", Store: store,
		Operation: orderapi.OpCreate,
		Validate:  validateCreate,
		DTIDOf:    func(r orderapi.CreateRequest) string { return r.DTID },
		Create: func(ctx context.Context, req ledger.WriteRequest[orderapi.CreateRequest]) (orderapi.Order, bool, error) {
			return create(ctx, store, req)
		},
		Compensation: ledger.Compensation[orderapi.State]{
			Path: "cancel", Operation: orderapi.OpCancel, Next: cancelNext,
			UnavailableType:   orderapi.TypeCancelUnavailable,
			UnavailableDetail: "the order cannot be cancelled right now; retry later",
		},
	}
	a.Scopes.Write, a.Scopes.Compensate, a.Scopes.Read = orderapi.ScopeWrite, orderapi.ScopeCancel, orderapi.ScopeRead
	a.Problems.NotFound, a.Problems.KeyReused = orderapi.TypeOrderNotFound, orderapi.TypeIdempotencyKeyReused
	return a
}
