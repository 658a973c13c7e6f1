// Package faulthttp is the HTTP side of fault injection: a service reads a
// request's fault plan through a Gate (honoured only when faults are
// enabled and the caller may inject them), applies the faults that act
// before an operation, and answers an injected crash after commit the way
// a crashed server would look from outside. The plans themselves are
// internal/faults.
package faulthttp

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/sagatrace/sagatrace/internal/faults"
	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/httpserver"
	"github.com/sagatrace/sagatrace/internal/ids"
)

// Problem types of fault injection are httpapi.TypeInvalidFaults and
// httpapi.TypeInjectedFault.

// Gate decides whether a request's fault plan is honoured. Production
// must not let a header break payments, so plans count only when Enabled
// and, when Permit is set, only for a caller it permits (a token with the
// faults:inject scope); otherwise the plan is ignored — never refused, so a
// header forwarded by a proxy cannot fail a request — and the first plan
// ignored for each reason is logged, once per gate, to explain why a drill
// injected nothing. Use it as a field; do not copy.
type Gate struct {
	Enabled bool
	// Permit reports whether the request's caller may inject faults; nil
	// permits everyone the gate lets through.
	Permit func(ctx context.Context) bool
	Logger *slog.Logger
	// PermitHint names what Permit wants, for the warning ("the faults:inject scope").
	PermitHint string
	warnOff    sync.Once
	warnDenied sync.Once
}

// Plan returns the request's honoured fault plan with the attempt from
// X-Sagatrace-Attempt: empty when the gate is disabled, the caller not
// permitted or the header absent, a KindInvalid error when either header
// is malformed.
func (g *Gate) Plan(r *http.Request) (faults.Plan, error) {
	header := r.Header.Get(ids.HeaderFaults)
	if header == "" {
		return faults.Plan{}, nil
	}
	if !g.Enabled {
		g.ignore(r, &g.warnOff, "fault injection is disabled; ignoring the "+ids.HeaderFaults+" header", header)
		return faults.Plan{}, nil
	}
	if g.Permit != nil && !g.Permit(r.Context()) {
		why := "the caller may not inject faults"
		if g.PermitHint != "" {
			why = "the caller's token lacks " + g.PermitHint
		}
		g.ignore(r, &g.warnDenied, why+"; ignoring the "+ids.HeaderFaults+" header", header)
		return faults.Plan{}, nil
	}
	plan, err := faults.Parse(header)
	if err != nil {
		return faults.Plan{}, httpserver.Invalid(httpapi.TypeInvalidFaults, "header "+ids.HeaderFaults+": "+err.Error())
	}
	attempt, err := faults.ParseAttempt(r.Header.Get(faults.HeaderAttempt))
	if err != nil {
		return faults.Plan{}, httpserver.Invalid(httpapi.TypeInvalidFaults, "header "+err.Error())
	}
	return plan.WithAttempt(attempt), nil
}

// ignore notes on the span that a plan was ignored and why, and logs it
// the first time for this reason.
func (g *Gate) ignore(r *http.Request, once *sync.Once, msg, header string) {
	trace.SpanFromContext(r.Context()).AddEvent("faults ignored", trace.WithAttributes(attribute.String("reason", msg)))
	once.Do(func() {
		if g.Logger != nil {
			g.Logger.WarnContext(r.Context(), msg, slog.String("faults", header))
		}
	})
}

// InjectBefore applies the fault of op that acts before the operation
// runs (transient, latency, timeout) and returns the problem to answer, or
// nil to go on. Every injection is an event on the server span, so Jaeger
// shows why a hop failed.
func InjectBefore(ctx context.Context, plan faults.Plan, op ids.Operation) error {
	f := plan.For(op)
	if f.None() {
		return nil
	}
	err := f.Before(ctx, plan.Attempt())
	if err == nil {
		return nil
	}
	noteInjected(ctx, op, f, plan.Attempt())
	if errors.Is(err, faults.ErrNoAttempt) {
		return httpserver.Invalid(httpapi.TypeInvalidFaults, string(op)+": "+err.Error())
	}
	// 503 for all the rest: the failure is temporary by design, and when
	// the caller gave up (timeout, cut latency) nobody reads the answer.
	return httpserver.Unavailable(httpapi.TypeInjectedFault, string(op)+": "+err.Error()).Wrap(err)
}

// Crashes reports whether plan makes op crash after its commit.
func Crashes(plan faults.Plan, op ids.Operation) bool { return plan.Has(op, faults.CrashAfterCommit) }

// AnswerCrash answers a request whose write committed as a server that
// crashed right after its commit is seen from outside: a 500 without a
// body. Not a dropped connection: Go's transport silently re-sends a request
// with an Idempotency-Key on a dropped keep-alive connection, and the drill
// wants the saga's own retry, with its own trace, to find the commit.
func AnswerCrash(w http.ResponseWriter, r *http.Request, op ids.Operation) {
	noteInjected(r.Context(), op, faults.Fault{Kind: faults.CrashAfterCommit}, 0)
	httpserver.NoteError(r.Context(), errors.New(string(op)+": injected crash after commit"))
	w.WriteHeader(http.StatusInternalServerError)
}

func noteInjected(ctx context.Context, op ids.Operation, f faults.Fault, attempt int) {
	trace.SpanFromContext(ctx).AddEvent("fault injected", trace.WithAttributes(
		attribute.String("fault.operation", string(op)),
		attribute.String("fault.kind", f.String()),
		attribute.Int("fault.attempt", attempt),
	))
}
