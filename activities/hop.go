package activities

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/ids"
)

// hop is one activity attempt's request chain.
type hop struct {
	span          trace.Span
	correlationID string
	attempt       int32
	operation     string
	logger        *slog.Logger
}

// startHop starts the hop's own trace: a new root span (its trace ID is the
// correlation ID) linked to the RunActivity span of the orchestration trace.
// One trace per hop keeps traces small however long the saga runs; the link
// and the dtid attribute tie them together.
func (a *Activities) startHop(ctx context.Context, dtid, step, operation string, compensation bool, faults map[string]string) (context.Context, *hop) {
	info := activity.GetInfo(ctx)
	orchestration := trace.SpanFromContext(ctx).SpanContext()
	ctx, span := a.Tracer.Start(ctx, operation,
		trace.WithNewRoot(),
		trace.WithLinks(trace.Link{SpanContext: orchestration, Attributes: []attribute.KeyValue{
			attribute.String("link.kind", "saga"),
		}}),
		trace.WithAttributes(
			attribute.String(ids.AttrDTID, dtid),
			attribute.String(ids.AttrStep, step),
			attribute.Bool(ids.AttrCompensation, compensation),
			attribute.String(ids.AttrWorkflowID, info.WorkflowExecution.ID),
			attribute.Int(ids.AttrAttempt, int(info.Attempt)),
		))
	cid := span.SpanContext().TraceID().String()
	span.SetAttributes(attribute.String(ids.AttrCorrelationID, cid))
	ctx = ids.WithCorrelationID(ids.WithDTID(ctx, dtid), cid)
	if len(faults) > 0 {
		ctx = httpapi.WithFaults(ctx, FaultPlan(faults))
	}
	h := &hop{span: span, correlationID: cid, attempt: info.Attempt, operation: operation, logger: a.Logger.With(
		slog.String("step", step), slog.String("operation", operation),
		slog.String("workflow_id", info.WorkflowExecution.ID), slog.Int("attempt", int(info.Attempt)))}
	return ctx, h
}

// result is what a finished hop reports to the saga.
func (h *hop) result() HopResult {
	return HopResult{CorrelationID: h.correlationID, Attempt: h.attempt}
}

// end closes the hop's span and turns err into what Temporal should do with
// it: a refusal of the service (4xx) fails the step for good, so the saga
// compensates instead of retrying; anything else is retried.
func (h *hop) end(ctx context.Context, err error) error {
	defer h.span.End()
	if err == nil {
		h.logger.InfoContext(ctx, "hop succeeded")
		return nil
	}
	h.span.RecordError(err)
	h.span.SetStatus(codes.Error, err.Error())
	failure := HopFailure{CorrelationID: h.correlationID, Attempt: h.attempt}
	var perm *permanentError
	if errors.As(err, &perm) {
		h.logger.WarnContext(ctx, "hop failed for good", slog.Any("error", err))
		return temporal.NewNonRetryableApplicationError(err.Error(), perm.typ, nil, failure)
	}
	var problem *httpapi.ProblemError
	if errors.As(err, &problem) {
		failure.Status, failure.ProblemType = problem.Status, problem.Type
		if refusal(problem.Status) {
			h.logger.WarnContext(ctx, "hop refused", slog.Int("status", problem.Status), slog.String("problem_type", problem.Type), slog.Any("error", err))
			// The message already holds err's text; as a cause it would be
			// repeated in every rendering of the failure chain.
			return temporal.NewNonRetryableApplicationError(
				fmt.Sprintf("%s refused: %v", h.operation, err), errorType(problem.Type), nil, failure)
		}
	}
	h.logger.WarnContext(ctx, "hop failed, will be retried", slog.Any("error", err))
	return temporal.NewApplicationErrorWithOptions(fmt.Sprintf("%s failed: %v", h.operation, err), "HopFailed",
		temporal.ApplicationErrorOptions{Details: []any{failure}})
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

// refusal tells a business or input refusal (do not retry) from a failure
// that a retry may cure (timeouts, conflicts in flight, rate limits, 5xx).
func refusal(status int) bool {
	switch status {
	case http.StatusRequestTimeout, http.StatusConflict, http.StatusTooManyRequests:
		return false
	}
	return status >= 400 && status < 500
}

// errorType turns a problem type slug (payment-declined) into an
// ApplicationError type (PaymentDeclined) that workflows can match on.
func errorType(problemType string) string {
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

// FaultPlan renders a saga's faults as the X-Sagatrace-Faults header value,
// sorted so the same plan always reads the same.
func FaultPlan(faults map[string]string) string {
	parts := make([]string, 0, len(faults))
	for _, op := range slices.Sorted(maps.Keys(faults)) {
		parts = append(parts, op+"="+faults[op])
	}
	return strings.Join(parts, ",")
}
