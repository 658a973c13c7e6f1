package payment

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/sagatrace/sagatrace/internal/faults/faulthttp"
	"github.com/sagatrace/sagatrace/internal/httpserver"
	"github.com/sagatrace/sagatrace/internal/ledger"

	"github.com/sagatrace/sagatrace/services/payment/paymentapi"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/sagatrace/sagatrace/internal/auth"
	"github.com/sagatrace/sagatrace/internal/ratelimit"
)

// Config is the payment server's configuration.
type Config struct {
	// FaultsEnabled honours X-Sagatrace-Faults. The dev stack enables it;
	// production must not.
	FaultsEnabled bool
	// MaxBodyBytes bounds a request body; 0 means httpserver.DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Auth checks every API request's bearer token (audience "payment"); a
	// server without a public key refuses to start unless Auth.Disabled.
	Auth auth.Config
	// Limits bound each caller's writes; zero fields take the defaults.
	Limits ratelimit.Config
}

// Validate reports every problem of c.
func (c Config) Validate() error {
	if c.MaxBodyBytes < 0 {
		return fmt.Errorf("payment: MaxBodyBytes is %d, want 0 (default) or more", c.MaxBodyBytes)
	}
	return nil
}

// Server serves the payment API over HTTP.
type Server struct {
	cfg     Config
	store   *Store
	tracer  trace.Tracer
	faults  faulthttp.Gate
	handler http.Handler
}

// NewServer returns a server over store whose routes are traced with tp
// and prop and logged to logger.
func NewServer(cfg Config, store *Store, tp trace.TracerProvider, prop propagation.TextMapPropagator, logger *slog.Logger) (*Server, error) {
	var errs []error
	if err := cfg.Validate(); err != nil {
		errs = append(errs, err)
	}
	if store == nil || tp == nil || prop == nil || logger == nil {
		errs = append(errs, errors.New("payment: NewServer needs a store, a tracer provider, a propagator and a logger"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = httpserver.DefaultMaxBodyBytes
	}
	g, err := auth.NewGuard(cfg.Auth, auth.AudiencePayment)
	if err != nil {
		return nil, err
	}
	lim, err := ratelimit.New(cfg.Limits)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", auth.AudiencePayment, err)
	}
	write := func(scope string, h httpserver.HandlerFunc) httpserver.HandlerFunc {
		return httpserver.Chain(h, g.Require(scope), lim.PerCaller(auth.CallerKey), httpserver.MaxBody(cfg.MaxBodyBytes))
	}
	read := func(scope string, h httpserver.HandlerFunc) httpserver.HandlerFunc {
		return httpserver.Chain(h, g.Require(scope))
	}
	s := &Server{cfg: cfg, store: store, tracer: tp.Tracer("payment")}
	s.faults = faulthttp.Gate{
		Enabled: cfg.FaultsEnabled, Logger: logger,
		Permit: auth.Permits(auth.ScopeFaultsInject), PermitHint: "the " + auth.ScopeFaultsInject + " scope",
	}
	// Every API route behind the guard, with its scope; health and
	// metrics stay open.
	s.handler = httpserver.ServiceHandler(httpserver.Routes{
		"POST /v1/payments":                     write(auth.ScopePaymentsWrite, s.handleCharge),
		"POST /v1/payments/{payment_id}/refund": write(auth.ScopePaymentsRefund, s.handleRefund),
		"GET /v1/payments":                      read(auth.ScopePaymentsRead, httpserver.ListHandler("payments", s.store.list)),
		"GET /v1/payments/{payment_id}":         read(auth.ScopePaymentsRead, s.handleGet),
	}, store.Ping, tp, prop, logger)
	return s, nil
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) handleCharge(w http.ResponseWriter, r *http.Request) error {
	req, err := ledger.DecodeWrite(w, r, s.cfg.MaxBodyBytes, &s.faults, validateCharge)
	if err != nil {
		return err
	}
	ctx := httpserver.BindDTID(r.Context(), req.Body.DTID)
	if err := faulthttp.InjectBefore(ctx, req.Faults, paymentapi.FaultCharge); err != nil {
		return err
	}
	p, created, err := s.charge(ctx, req.Key, req.Body, req.Faults)
	if err != nil {
		return err
	}
	// Only the request that committed the charge crashes: its retry finds
	// the payment by the Idempotency-Key and is answered as usual.
	if created && faulthttp.Crashes(req.Faults, paymentapi.FaultCharge) {
		faulthttp.AnswerCrash(w, r.WithContext(ctx), paymentapi.FaultCharge)
		return nil
	}
	if p.State == paymentapi.StateDeclined {
		return httpserver.Refused(paymentapi.TypePaymentDeclined, fmt.Sprintf("payment %s was declined by the card processor", p.PaymentID))
	}
	return httpserver.WriteCreated(w, created, "/v1/payments/"+p.PaymentID, p)
}

func (s *Server) handleRefund(w http.ResponseWriter, r *http.Request) error {
	// The key is required like on every write, but not stored: a refund is
	// idempotent by the payment's state.
	if _, err := httpserver.RequireIdempotencyKey(r); err != nil {
		return err
	}
	// No body is read, but one past the limit is still refused (413).
	if err := httpserver.DiscardBody(r); err != nil {
		return err
	}
	plan, err := s.faults.Plan(r)
	if err != nil {
		return err
	}
	if err := faulthttp.InjectBefore(r.Context(), plan, paymentapi.FaultRefund); err != nil {
		return err
	}
	p, refunded, err := s.refund(r.Context(), r.PathValue("payment_id"), plan)
	if err != nil {
		return err
	}
	if refunded && faulthttp.Crashes(plan, paymentapi.FaultRefund) {
		faulthttp.AnswerCrash(w, r, paymentapi.FaultRefund)
		return nil
	}
	return httpserver.WriteJSON(w, http.StatusOK, p)
}

func (s *Server) handleGet(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("payment_id")
	p, err := s.store.get(r.Context(), id)
	if errors.Is(err, errNotFound) {
		return httpserver.NotFound(paymentapi.TypePaymentNotFound, fmt.Sprintf("no payment %q", id))
	}
	if err != nil {
		return fmt.Errorf("read payment %s: %w", id, err)
	}
	return httpserver.WriteJSON(w, http.StatusOK, p)
}
