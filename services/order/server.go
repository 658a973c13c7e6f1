package order

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

// Config is the order server's configuration.
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
		return fmt.Errorf("order: MaxBodyBytes is %d, want 0 (default) or more", c.MaxBodyBytes)
	}
	return nil
}

// Server serves the order API over HTTP.
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
		errs = append(errs, errors.New("order: NewServer needs a store, a tracer provider, a propagator and a logger"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	s := &Server{cfg: cfg, store: store, tracer: tp.Tracer("order")}
	s.faults = httpapi.FaultGate{Enabled: cfg.FaultsEnabled, Logger: logger}

	mux := http.NewServeMux()
	route := func(pattern string, h httpapi.HandlerFunc) { httpapi.Handle(mux, pattern, h, tp, prop) }
	route("POST /v1/orders", s.handleCreate)
	route("POST /v1/orders/{order_id}/cancel", s.handleCancel)
	route("GET /v1/orders", s.handleList)
	route("GET /v1/orders/{order_id}", s.handleGet)
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
		return fmt.Errorf("order: listen on %s: %w", addr, err)
	}
	return httpapi.Serve(ctx, ln, s.handler)
}

func (s *Server) handleCreate(w http.ResponseWriter, r *http.Request) error {
	key, err := httpapi.RequireIdempotencyKey(r)
	if err != nil {
		return err
	}
	var req CreateRequest
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
	o, created, err := s.create(ctx, key, req, faults)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		w.Header().Set("Location", "/v1/orders/"+o.OrderID)
	}
	return httpapi.WriteJSON(w, status, o)
}

func (s *Server) handleCancel(w http.ResponseWriter, r *http.Request) error {
	// The key is required like on every write, but not stored: a cancel is
	// idempotent by the order's state.
	if _, err := httpapi.RequireIdempotencyKey(r); err != nil {
		return err
	}
	faults, err := s.faults.Plan(r)
	if err != nil {
		return err
	}
	o, err := s.cancel(r.Context(), r.PathValue("order_id"), faults)
	if err != nil {
		return err
	}
	return httpapi.WriteJSON(w, http.StatusOK, o)
}

func (s *Server) handleGet(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("order_id")
	o, err := s.store.get(r.Context(), id)
	if errors.Is(err, errNotFound) {
		return httpapi.NotFound(TypeOrderNotFound, fmt.Sprintf("no order %q", id))
	}
	if err != nil {
		return fmt.Errorf("read order %s: %w", id, err)
	}
	return httpapi.WriteJSON(w, http.StatusOK, o)
}
