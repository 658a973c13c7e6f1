package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/sagatrace/sagatrace/internal/auth"
	"github.com/sagatrace/sagatrace/internal/faults/faulthttp"
	"github.com/sagatrace/sagatrace/internal/httpserver"
	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/ratelimit"
	"github.com/sagatrace/sagatrace/internal/telemetry"
)

// API describes a ledger service's HTTP API: E is its entity, S its state
// and R its create request. The routes are
//
//	POST /v1/<Collection>                          create (Scopes.Write)
//	POST /v1/<Collection>/{<id>}/<Compensation.Path> the compensation (Scopes.Compensate)
//	POST /v1/<Collection>/by-dtid/{dtid}/<Compensation.Path> the compensation of a DTID (Scopes.Compensate)
//	GET  /v1/<Collection>                            list (Scopes.Read)
//	GET  /v1/<Collection>/{<id>}                     get (Scopes.Read)
//
// where <id> is the schema's IDColumn.
type API[E any, S ~string, R any] struct {
	Audience   string // of the service's tokens, paymentapi.Audience
	Collection string // "payments"
	Noun       string // of one write in problem details, "charge"
	Store      *Store[E, S]
	Scopes     struct{ Write, Compensate, Read string }
	// DTIDOf returns a create request's DTID, which the request's spans and
	// logs carry from then on.
	DTIDOf func(req R) string
	// Operation is the create's operation ("payment.charge"), the key of
	// its faults.
	Operation ids.Operation
	// Validate returns every problem of a create request; headerDTID is
	// X-DTID ("" when absent), which the body must agree with.
	Validate func(req R, headerDTID string) httpserver.Problems
	// Create is the service's step: it creates the entity of the request
	// (Store.Create) and takes it as far as the service does. created is
	// false when the Idempotency-Key replays an earlier request.
	Create func(ctx context.Context, req WriteRequest[R]) (e E, created bool, err error)
	// Refuse, when set, turns a created entity into the problem to answer
	// instead of it (a declined payment); it runs after the crash fault, so
	// a crashed request's retry is refused like the first would have been.
	Refuse func(e E) error
	// Compensation is what compensates the step.
	Compensation Compensation[S]
	// Problems are the service's problem types.
	Problems struct{ NotFound, KeyReused string }
}

// NewHandler serves api with cfg: every API route behind the guard with
// its scope, writes also behind the caller's rate limit and the body
// limit; health and metrics stay open. Routes are traced with tp and prop
// and logged to logger.
func NewHandler[E any, S ~string, R any](cfg Config, api API[E, S, R], tp trace.TracerProvider, prop propagation.TextMapPropagator, logger *slog.Logger) (http.Handler, error) {
	var errs []error
	if err := cfg.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", api.Audience, err))
	}
	if api.Store == nil || tp == nil || prop == nil || logger == nil {
		errs = append(errs, fmt.Errorf("%s: NewServer needs a store, a tracer provider, a propagator and a logger", api.Audience))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = httpserver.DefaultMaxBodyBytes
	}
	g, err := auth.NewGuard(cfg.Auth, api.Audience)
	if err != nil {
		return nil, err
	}
	lim, err := ratelimit.New(cfg.Limits)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", api.Audience, err)
	}
	write := func(scope string, h httpserver.HandlerFunc) httpserver.HandlerFunc {
		return httpserver.Chain(h, g.Require(scope), lim.PerCaller(auth.CallerKey), httpserver.MaxBody(cfg.MaxBodyBytes))
	}
	read := func(scope string, h httpserver.HandlerFunc) httpserver.HandlerFunc {
		return httpserver.Chain(h, g.Require(scope))
	}
	rs := &routes[E, S, R]{api: api, maxBody: cfg.MaxBodyBytes, faults: faulthttp.Gate{
		Enabled: cfg.FaultsEnabled, Logger: logger,
		Permit: auth.Permits(auth.ScopeFaultsInject), PermitHint: "the " + auth.ScopeFaultsInject + " scope",
	}}
	// The path names its id as the column does ({payment_id}), so the
	// route in spans and access logs reads as before the ledger.
	path, one := "/v1/"+api.Collection, "/v1/"+api.Collection+"/{"+api.Store.schema.IDColumn+"}"
	return httpserver.ServiceHandler(httpserver.Routes{
		"POST " + path: write(api.Scopes.Write, rs.create),
		"POST " + one + "/" + api.Compensation.Path:                 write(api.Scopes.Compensate, rs.compensate),
		"POST " + path + "/by-dtid/{dtid}/" + api.Compensation.Path: write(api.Scopes.Compensate, rs.compensateDTID),
		"GET " + path: read(api.Scopes.Read, httpserver.ListHandler(api.Collection, api.Store.List)),
		"GET " + one:  read(api.Scopes.Read, rs.get),
	}, api.Store.Ping, tp, prop, logger), nil
}

// Open migrates db to the service's schema with its migrations and returns
// its handler: the routes of the API that newAPI makes over the store. It
// is how a component serves a ledger service, and how its tests do.
func Open[E any, S ~string, R any](ctx context.Context, db *sql.DB, cfg Config, schema Schema[E, S], migrations fs.FS,
	newAPI func(*Store[E, S]) API[E, S, R], tp trace.TracerProvider, logger *slog.Logger) (http.Handler, error) {
	store, err := NewStore(ctx, db, tp, schema, migrations)
	if err != nil {
		return nil, err
	}
	return NewHandler(cfg, newAPI(store), tp, telemetry.Propagator(), logger)
}
