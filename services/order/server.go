package order

import (
	"context"
	"database/sql"
	"log/slog"
	"net/http"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/sagatrace/sagatrace/internal/ledger"
	"github.com/sagatrace/sagatrace/internal/telemetry"
	"github.com/sagatrace/sagatrace/services/order/orderapi"
)

// Config is the order server's configuration.
type Config = ledger.Config

// Server serves the order API over HTTP: the ledger's routes, with the
// confirmation as its create step.
type Server struct {
	handler http.Handler
}

// NewServer returns a server over store whose routes are traced with tp
// and prop and logged to logger.
func NewServer(cfg Config, store *Store, tp trace.TracerProvider, prop propagation.TextMapPropagator, logger *slog.Logger) (*Server, error) {
	api := ledger.API[orderapi.Order, orderapi.State, orderapi.CreateRequest]{
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
	api.Scopes.Write, api.Scopes.Compensate, api.Scopes.Read = orderapi.ScopeWrite, orderapi.ScopeCancel, orderapi.ScopeRead
	api.Problems.NotFound, api.Problems.KeyReused = orderapi.TypeOrderNotFound, orderapi.TypeIdempotencyKeyReused
	h, err := ledger.NewHandler(cfg, api, tp, prop, logger)
	if err != nil {
		return nil, err
	}
	return &Server{handler: h}, nil
}

// NewHandler migrates db to the order schema and returns the order API
// over it, as a component serves it.
func NewHandler(ctx context.Context, db *sql.DB, cfg Config, tp trace.TracerProvider, logger *slog.Logger) (http.Handler, error) {
	store, err := NewStore(ctx, db, tp)
	if err != nil {
		return nil, err
	}
	srv, err := NewServer(cfg, store, tp, telemetry.Propagator(), logger)
	if err != nil {
		return nil, err
	}
	return srv.Handler(), nil
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }
