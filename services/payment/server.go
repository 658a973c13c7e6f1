package payment

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/ids"
)

// Defaults and bounds of the HTTP API.
const (
	DefaultMaxBodyBytes = 64 << 10
	DefaultListLimit    = 50
	MaxListLimit        = 200
)

// Config is the payment server's configuration.
type Config struct {
	// FaultsEnabled honours X-Sagatrace-Faults. The dev stack enables it;
	// production must not.
	FaultsEnabled bool
	// MaxBodyBytes bounds a request body; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
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
	faults  httpapi.FaultGate
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
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	s := &Server{cfg: cfg, store: store, tracer: tp.Tracer("payment")}
	s.faults = httpapi.FaultGate{Enabled: cfg.FaultsEnabled, Logger: logger}

	mux := http.NewServeMux()
	route := func(pattern string, h httpapi.HandlerFunc) { httpapi.Handle(mux, pattern, h, tp, prop) }
	route("POST /v1/payments", s.handleCharge)
	route("POST /v1/payments/{payment_id}/refund", s.handleRefund)
	route("GET /v1/payments", s.handleList)
	route("GET /v1/payments/{payment_id}", s.handleGet)
	mux.Handle("GET /healthz", httpapi.Healthz())
	mux.Handle("GET /readyz", httpapi.Readyz(store.Ping))
	mux.Handle("/", httpapi.RouteNotFound())
	s.handler = httpapi.AccessLog(logger, mux)
	return s, nil
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Run serves on addr until ctx is done.
func (s *Server) Run(ctx context.Context, addr string) error {
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("payment: listen on %s: %w", addr, err)
	}
	return httpapi.Serve(ctx, ln, s.handler)
}

func (s *Server) handleCharge(w http.ResponseWriter, r *http.Request) error {
	key, err := httpapi.RequireIdempotencyKey(r)
	if err != nil {
		return err
	}
	var req ChargeRequest
	if err := httpapi.DecodeJSON(w, r, &req, s.cfg.MaxBodyBytes); err != nil {
		return err
	}
	if problems := req.validate(r.Header.Get(ids.HeaderDTID)); len(problems) > 0 {
		return httpapi.Invalid(httpapi.TypeInvalidField, strings.Join(problems, "; "))
	}
	faults, err := s.faults.Plan(r)
	if err != nil {
		return err
	}
	ctx := httpapi.BindDTID(r.Context(), req.DTID)
	p, created, err := s.charge(ctx, key, req, faults)
	if err != nil {
		return err
	}
	if p.State == StateDeclined {
		return httpapi.Refused(TypePaymentDeclined, fmt.Sprintf("payment %s was declined by the card processor", p.PaymentID))
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		w.Header().Set("Location", "/v1/payments/"+p.PaymentID)
	}
	return httpapi.WriteJSON(w, status, p)
}

func (s *Server) handleRefund(w http.ResponseWriter, r *http.Request) error {
	// The key is required like on every write, but not stored: a refund is
	// idempotent by the payment's state.
	if _, err := httpapi.RequireIdempotencyKey(r); err != nil {
		return err
	}
	faults, err := s.faults.Plan(r)
	if err != nil {
		return err
	}
	p, err := s.refund(r.Context(), r.PathValue("payment_id"), faults)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, p)
}

func (s *Server) handleGet(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("payment_id")
	p, err := s.store.get(r.Context(), id)
	if errors.Is(err, errNotFound) {
		return httpapi.NotFound(TypePaymentNotFound, fmt.Sprintf("no payment %q", id))
	}
	if err != nil {
		return fmt.Errorf("read payment %s: %w", id, err)
	}
	return httpapi.WriteJSON(w, http.StatusOK, p)
}
