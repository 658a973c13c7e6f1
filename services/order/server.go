package order

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/sagatrace/sagatrace/internal/faults/faulthttp"
	"github.com/sagatrace/sagatrace/internal/httpserver"
	"github.com/sagatrace/sagatrace/internal/ledger"

	"github.com/sagatrace/sagatrace/services/order/orderapi"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/sagatrace/sagatrace/internal/auth"
	"github.com/sagatrace/sagatrace/internal/ratelimit"
)

// Config is the order server's configuration.
type Config struct {
	// FaultsEnabled honours X-Sagatrace-Faults. The dev stack enables it;
	// production must not.
	FaultsEnabled bool
	// MaxBodyBytes bounds a request body; 0 means httpserver.DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Auth checks every API request's bearer token (audience "order"); a
	// server without a public key refuses to start unless Auth.Disabled.
	Auth auth.Config
	// Limits bound each caller's writes; zero fields take the defaults.
	Limits ratelimit.Config
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
		errs = append(errs, errors.New("order: NewServer needs a store, a tracer provider, a propagator and a logger"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = httpserver.DefaultMaxBodyBytes
	}
	g, err := auth.NewGuard(cfg.Auth, auth.AudienceOrder)
	if err != nil {
		return nil, err
	}
	lim, err := ratelimit.New(cfg.Limits)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", auth.AudienceOrder, err)
	}
	write := func(scope string, h httpserver.HandlerFunc) httpserver.HandlerFunc {
		return httpserver.Chain(h, g.Require(scope), lim.PerCaller(auth.CallerKey), httpserver.MaxBody(cfg.MaxBodyBytes))
	}
	read := func(scope string, h httpserver.HandlerFunc) httpserver.HandlerFunc {
		return httpserver.Chain(h, g.Require(scope))
	}
	s := &Server{cfg: cfg, store: store, tracer: tp.Tracer("order")}
	s.faults = faulthttp.Gate{
		Enabled: cfg.FaultsEnabled, Logger: logger,
		Permit: auth.Permits(auth.ScopeFaultsInject), PermitHint: "the " + auth.ScopeFaultsInject + " scope",
	}
	// Every API route behind the guard, with its scope; health and
	// metrics stay open.
	s.handler = httpserver.ServiceHandler(httpserver.Routes{
		"POST /v1/orders":                   write(auth.ScopeOrdersWrite, s.handleCreate),
		"POST /v1/orders/{order_id}/cancel": write(auth.ScopeOrdersCancel, s.handleCancel),
		"GET /v1/orders":                    read(auth.ScopeOrdersRead, httpserver.ListHandler("orders", s.store.list)),
		"GET /v1/orders/{order_id}":         read(auth.ScopeOrdersRead, s.handleGet),
	}, store.Ping, tp, prop, logger)
	return s, nil
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) handleCreate(w http.ResponseWriter, r *http.Request) error {
	req, err := ledger.DecodeWrite(w, r, s.cfg.MaxBodyBytes, &s.faults, validateCreate)
	if err != nil {
		return err
	}
	ctx := httpserver.BindDTID(r.Context(), req.Body.DTID)
	if err := faulthttp.InjectBefore(ctx, req.Faults, orderapi.FaultCreate); err != nil {
		return err
	}
	o, created, err := s.create(ctx, req.Key, req.Body, req.Faults)
	if err != nil {
		return err
	}
	// Only the request that committed the order crashes: its retry finds
	// the order by the Idempotency-Key and is answered as usual.
	if created && faulthttp.Crashes(req.Faults, orderapi.FaultCreate) {
		faulthttp.AnswerCrash(w, r.WithContext(ctx), orderapi.FaultCreate)
		return nil
	}
	return httpserver.WriteCreated(w, created, "/v1/orders/"+o.OrderID, o)
}

func (s *Server) handleCancel(w http.ResponseWriter, r *http.Request) error {
	// The key is required like on every write, but not stored: a cancel is
	// idempotent by the order's state.
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
	if err := faulthttp.InjectBefore(r.Context(), plan, orderapi.FaultCancel); err != nil {
		return err
	}
	o, cancelled, err := s.cancel(r.Context(), r.PathValue("order_id"), plan)
	if err != nil {
		return err
	}
	if cancelled && faulthttp.Crashes(plan, orderapi.FaultCancel) {
		faulthttp.AnswerCrash(w, r, orderapi.FaultCancel)
		return nil
	}
	return httpserver.WriteJSON(w, http.StatusOK, o)
}

func (s *Server) handleGet(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("order_id")
	o, err := s.store.get(r.Context(), id)
	if errors.Is(err, errNotFound) {
		return httpserver.NotFound(orderapi.TypeOrderNotFound, fmt.Sprintf("no order %q", id))
	}
	if err != nil {
		return fmt.Errorf("read order %s: %w", id, err)
	}
	return httpserver.WriteJSON(w, http.StatusOK, o)
}
