package payment

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/http"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/sagatrace/sagatrace/internal/httpserver"
	"github.com/sagatrace/sagatrace/internal/ledger"
	"github.com/sagatrace/sagatrace/internal/telemetry"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
)

// Config is the payment server's configuration.
type Config = ledger.Config

// Server serves the payment API over HTTP: the ledger's routes, with the
// charge as its create step.
type Server struct {
	store   *Store
	tracer  trace.Tracer
	handler http.Handler
}

// NewServer returns a server over store whose routes are traced with tp
// and prop and logged to logger.
func NewServer(cfg Config, store *Store, tp trace.TracerProvider, prop propagation.TextMapPropagator, logger *slog.Logger) (*Server, error) {
	s := &Server{store: store}
	if tp != nil {
		s.tracer = tp.Tracer("payment")
	}
	api := ledger.API[paymentapi.Payment, paymentapi.State, paymentapi.ChargeRequest]{
		Audience: paymentapi.Audience, Collection: "payments", Noun: "charge", Store: store,
		Operation: paymentapi.OpCharge,
		Validate:  validateCharge,
		DTIDOf:    func(r paymentapi.ChargeRequest) string { return r.DTID },
		Create:    s.charge,
		Refuse:    declined,
		Compensation: ledger.Compensation[paymentapi.State]{
			Path: "refund", Operation: paymentapi.OpRefund, Next: refundNext,
			UnavailableType:   paymentapi.TypeRefundUnavailable,
			UnavailableDetail: "the card processor is unavailable for refunds; retry later",
		},
	}
	api.Scopes.Write, api.Scopes.Compensate, api.Scopes.Read = paymentapi.ScopeWrite, paymentapi.ScopeRefund, paymentapi.ScopeRead
	api.Problems.NotFound, api.Problems.KeyReused = paymentapi.TypePaymentNotFound, paymentapi.TypeIdempotencyKeyReused
	h, err := ledger.NewHandler(cfg, api, tp, prop, logger)
	if err != nil {
		return nil, err
	}
	s.handler = h
	return s, nil
}

// NewHandler migrates db to the payment schema and returns the payment API
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

// declined answers a declined payment with 422: the saga compensates
// rather than retrying it.
func declined(p paymentapi.Payment) error {
	if p.State != paymentapi.StateDeclined {
		return nil
	}
	return httpserver.Refused(paymentapi.TypePaymentDeclined, fmt.Sprintf("payment %s was declined by the card processor", p.PaymentID))
}
