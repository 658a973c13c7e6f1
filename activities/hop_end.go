package activities

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.temporal.io/sdk/temporal"

	"github.com/sagatrace/sagatrace/internal/httpapi"
)

// How a hop's error becomes what Temporal does next: retry the attempt,
// or fail the step for good so that the saga compensates.

// end closes the hop's span and turns err into what Temporal should do with
// it: a refusal of the service (4xx) fails the step for good, so the saga
// compensates instead of retrying; anything else is retried.
func (h *hop) end(ctx context.Context, err error) error {
	defer h.span.End()
	defer h.cancel()
	if err == nil {
		h.logger.InfoContext(ctx, "hop succeeded")
		return nil
	}
	h.span.RecordError(err)
	h.span.SetStatus(codes.Error, err.Error())
	failure := HopFailure{CorrelationID: h.correlationID, Attempt: h.attempt, SpanID: h.spanID}
	var perm *permanentError
	if errors.As(err, &perm) {
		h.logger.WarnContext(ctx, "hop failed for good", slog.Any("error", err))
		h.noteUndoParks(ctx, err)
		return temporal.NewNonRetryableApplicationError(err.Error(), perm.typ, nil, failure)
	}
	var problem *httpapi.ProblemError
	if errors.As(err, &problem) {
		failure.Status, failure.ProblemType = problem.Status, problem.Type
		if refusal(problem) {
			h.logger.WarnContext(ctx, "hop refused", slog.Int("status", problem.Status), slog.String("problem_type", problem.Type), slog.Any("error", err))
			h.noteUndoParks(ctx, err)
			// The message already holds err's text; as a cause it would be
			// repeated in every rendering of the failure chain.
			return temporal.NewNonRetryableApplicationError(
				fmt.Sprintf("%s refused: %v", h.operation, err), ErrorType(problem.Type), nil, failure)
		}
	}
	h.logger.WarnContext(ctx, "hop failed, will be retried", slog.Any("error", err))
	if h.maxAttempts > 0 && h.attempt >= h.maxAttempts {
		h.noteUndoParks(ctx, err)
	}
	return temporal.NewApplicationErrorWithOptions(fmt.Sprintf("%s failed: %v", h.operation, err), "HopFailed",
		temporal.ApplicationErrorOptions{Details: []any{failure}})
}

// EventCompensationParked is the span event on the hop trace of a compensation's
// last failed attempt: from there the saga waits, in compensation_failed,
// for an operator's retry-compensation signal. The hop trace is exported
// at once, so Jaeger shows the stuck saga while it waits.
const EventCompensationParked = "saga.compensation_failed"

// noteUndoParks marks, on the span and in the log, that this failed
// attempt was a compensation's last: the saga now waits for an operator.
func (h *hop) noteUndoParks(ctx context.Context, err error) {
	if !h.compensation {
		return
	}
	h.span.AddEvent(EventCompensationParked, trace.WithAttributes(
		attribute.String("operation", string(h.operation)),
		attribute.Int("attempt", int(h.attempt)),
		attribute.String("next", "the saga waits for the retry-compensation signal"),
	))
	h.logger.ErrorContext(ctx, "compensation out of retries; the saga waits for the retry-compensation signal",
		slog.Any("error", err))
}

// permanentError marks a failure no retry can cure, found before any
// request was sent.
type permanentError struct {
	typ string
	err error
}

func permanent(typ string, err error) error { return &permanentError{typ: typ, err: err} }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// refusal tells a refusal that a retry cannot change (a business or input
// refusal: do not retry) from a failure that a retry may cure: timeouts,
// conflicts in flight, rate limits, 5xx, and 401/403 — a token that
// expired or whose key rotated between attempts; the token source renews
// it after a 401 (auth.Transport). A DTID voided by the saga's own
// compensation is final although it is a 409.
func refusal(p *httpapi.ProblemError) bool {
	switch {
	case p.Type == httpapi.TypeDTIDVoided:
		return true
	case p.Status == http.StatusRequestTimeout, p.Status == http.StatusConflict, p.Status == http.StatusTooManyRequests,
		p.Status == http.StatusUnauthorized, p.Status == http.StatusForbidden:
		return false
	}
	return p.Status >= 400 && p.Status < 500
}

// ErrorType turns a problem type slug (payment-declined) into an
// ApplicationError type (PaymentDeclined) that workflows can match on.
func ErrorType(problemType string) string {
	if problemType == "" {
		return "ServiceRefused"
	}
	// A problem type may be a URI; its last segment is the slug.
	slug := problemType[strings.LastIndex(problemType, "/")+1:]
	var b strings.Builder
	for _, part := range strings.FieldsFunc(slug, func(r rune) bool { return r == '-' || r == '_' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}
