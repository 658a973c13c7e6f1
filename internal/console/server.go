// Package console is the saga console: server-rendered pages over the same
// sources as `sagatrace trace` — Temporal for the sagas, Jaeger for their
// hops, the services for their rows — with a little JavaScript only to
// refresh the scoring page. Templates and assets are embedded; there is no
// build step beyond the Go toolchain.
package console

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/sagatrace/sagatrace/internal/auth"
	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/httpserver"
	"github.com/sagatrace/sagatrace/internal/timeline"
	"github.com/sagatrace/sagatrace/services/order/orderapi"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Payments lists the payments of a DTID; *paymentapi.Client is one.
type Payments interface {
	List(ctx context.Context, f paymentapi.ListFilter) (paymentapi.Page, error)
}

// Orders lists the orders of a DTID; *orderapi.Client is one.
type Orders interface {
	List(ctx context.Context, f orderapi.ListFilter) (orderapi.Page, error)
}

// Config is what the console reads from.
type Config struct {
	// Sagas reads timelines (Temporal and Jaeger); its Temporal also lists
	// sagas and signals them.
	Sagas    *timeline.Fetcher
	Payments Payments
	Orders   Orders
	// Scoring reads the leaderboard and the partition lag.
	Scoring *ScoringClient
	Logger  *slog.Logger
	// Verifier checks the tokens people log in with (audience console);
	// required unless AuthDisabled.
	Verifier *auth.Verifier
	// AuthDisabled lets every request in as auth.Anonymous, who holds
	// every scope: only ever on purpose, never in production.
	AuthDisabled bool
	// AllowedHosts are the Host headers the console answers, each a name
	// (any port) or name:port; any other Host is refused with 421 before
	// anything else, which closes DNS rebinding. Empty: every Host.
	AllowedHosts []string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Validate reports every missing dependency at once.
func (c Config) Validate() error {
	var errs []error
	if c.Sagas == nil || c.Sagas.Temporal == nil || c.Sagas.Jaeger == nil {
		errs = append(errs, errors.New("console: Sagas needs Temporal and Jaeger"))
	}
	if c.Payments == nil || c.Orders == nil || c.Scoring == nil {
		errs = append(errs, errors.New("console: Payments, Orders and Scoring are required"))
	}
	if c.Logger == nil {
		errs = append(errs, errors.New("console: Logger is required"))
	}
	switch {
	case c.Verifier == nil && !c.AuthDisabled:
		errs = append(errs, errors.New("console: a Verifier of login tokens is required unless AuthDisabled: the console never serves open by omission"))
	case c.Verifier != nil && c.AuthDisabled:
		errs = append(errs, errors.New("console: Verifier and AuthDisabled exclude each other"))
	}
	return errors.Join(errs...)
}

// Server serves the console.
type Server struct {
	cfg   Config
	pages map[string]*template.Template
}

// NewServer parses the embedded templates once; a broken template fails
// here, at start, not on a request.
func NewServer(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	pages, err := parsePages()
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	return &Server{cfg: cfg, pages: pages}, nil
}

// Handler routes the console's pages, its JSON API and its assets. Only
// the login page, the assets and the health checks are served without a
// login (requireLogin); operator actions need sagas:operate too. A Host
// not allowed is refused before anything else; every answer forbids
// inline scripts and framing, and a POST from another site is refused, so
// a page elsewhere cannot make an operator's browser act on a saga.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", http.RedirectHandler("/sagas", http.StatusFound))
	mux.Handle("GET /sagas", s.page(s.listSagas))
	mux.Handle("GET /sagas/{dtid}", s.page(s.showSaga))
	mux.Handle("POST /sagas/{dtid}/retry-compensation", s.page(s.operate(s.retryCompensation)))
	mux.Handle("POST /sagas/{dtid}/resolve-compensation", s.page(s.operate(s.resolveCompensation)))
	mux.Handle("POST /sagas/retry-parked", s.page(s.operate(s.retryParked)))
	mux.Handle("GET /scoring", s.page(s.showScoring))
	mux.Handle("GET /api/sagas/{dtid}", httpserver.HandlerFunc(s.sagaJSON))
	mux.Handle("GET /sagas/{dtid}/export", httpserver.HandlerFunc(s.exportSaga))
	mux.Handle("GET /traces/{traceID}", s.page(s.showTrace))
	mux.Handle("GET /api/scoring", httpserver.HandlerFunc(s.scoringJSON))
	mux.Handle("/", s.page(func(_ http.ResponseWriter, r *http.Request) error {
		return httpserver.NotFound(httpapi.TypeRouteNotFound, "no page at "+r.URL.Path)
	}))

	open := http.NewServeMux()
	open.Handle("GET /login", s.page(s.showLogin))
	open.Handle("POST /login", s.page(s.login))
	open.Handle("POST /logout", s.page(s.logout))
	static, _ := fs.Sub(staticFS, "static") // "static" is embedded above; Sub cannot fail
	open.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	open.Handle("GET /healthz", httpserver.Healthz())
	open.Handle("GET /readyz", httpserver.Readyz(func(context.Context) error { return nil }))
	open.Handle("/", s.requireLogin(mux))
	return httpserver.AccessLog(s.cfg.Logger, s.checkHost(securityHeaders(http.NewCrossOriginProtection().Handler(open))))
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}
