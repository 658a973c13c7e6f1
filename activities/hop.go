package activities

import (
	"context"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"go.temporal.io/sdk/activity"

	"github.com/sagatrace/sagatrace/internal/faults"
	"github.com/sagatrace/sagatrace/internal/ids"
)

// hop is one activity attempt's request chain.
type hop struct {
	span          trace.Span
	correlationID string
	spanID        string
	attempt       int32
	operation     ids.Operation
	compensation  bool
	// maxAttempts is the activity's retry budget (0: unlimited).
	maxAttempts int32
	logger      *slog.Logger
	cancel      context.CancelFunc
}

// hopMargin is how long before Temporal's start-to-close deadline a hop
// gives up on its own. Its failure then reaches the saga with its
// correlation ID; a timeout that Temporal declares carries no details, and
// saga_state could not say which trace timed out.
const hopMargin = 500 * time.Millisecond

// hopSpec says which hop an activity attempt is.
type hopSpec struct {
	dtid, step   string
	operation    ids.Operation
	compensation bool
	faults       map[string]string
	// priorAttempts counts the attempts at this operation in earlier
	// executions of the activity (a compensation retried on the operator's signal).
	priorAttempts int32
	// compensates is the forward hop a compensation undoes (nil: none known).
	compensates *HopRef
}

// startHop starts the hop's own trace: a new root span (its trace ID is the
// correlation ID) linked to the RunActivity span of the orchestration trace.
// One trace per hop keeps traces small however long the saga runs; the link
// and the dtid attribute tie them together. The returned context carries
// the saga's fault plan and the hop's attempt for the service to see, and
// ends hopMargin before the activity's deadline.
func (a Hops) startHop(ctx context.Context, spec hopSpec) (context.Context, *hop) {
	info := activity.GetInfo(ctx)
	orchestration := trace.SpanFromContext(ctx).SpanContext()
	links := []trace.Link{{SpanContext: orchestration, Attributes: []attribute.KeyValue{
		attribute.String("link.kind", "saga"),
	}}}
	if fwd, ok := spec.compensates.spanContext(); ok {
		links = append(links, trace.Link{SpanContext: fwd, Attributes: []attribute.KeyValue{
			attribute.String("link.kind", "compensates"),
		}})
	}
	ctx, span := a.Tracer.Start(ctx, string(spec.operation),
		trace.WithNewRoot(),
		trace.WithLinks(links...),
		trace.WithAttributes(
			attribute.String(ids.AttrDTID, spec.dtid),
			attribute.String(ids.AttrStep, spec.step),
			attribute.Bool(ids.AttrCompensation, spec.compensation),
			attribute.String(ids.AttrWorkflowID, info.WorkflowExecution.ID),
			attribute.Int(ids.AttrAttempt, int(info.Attempt)),
		))
	cid := span.SpanContext().TraceID().String()
	span.SetAttributes(attribute.String(ids.AttrCorrelationID, cid))
	if spec.compensates != nil && spec.compensates.CorrelationID != "" {
		span.SetAttributes(attribute.String(ids.AttrCompensates, spec.compensates.CorrelationID))
	}
	ctx = ids.WithCorrelationID(ids.WithDTID(ctx, spec.dtid), cid)
	if len(spec.faults) > 0 {
		// The attempt counts across the operator's retries, so that a
		// transient:N outage can outlast one retry budget and end in the next.
		ctx = faults.WithAttempt(faults.WithPlan(ctx, faults.Format(spec.faults)), int(spec.priorAttempts+info.Attempt))
		if kind := spec.faults[string(spec.operation)]; kind != "" {
			span.SetAttributes(attribute.String("sagatrace.fault", kind))
		}
	}
	h := &hop{span: span, correlationID: cid, spanID: span.SpanContext().SpanID().String(), attempt: info.Attempt, operation: spec.operation,
		compensation: spec.compensation, cancel: func() {},
		logger: a.Logger.With(
			slog.String("step", spec.step), slog.String("operation", string(spec.operation)),
			slog.String("workflow_id", info.WorkflowExecution.ID), slog.Int("attempt", int(info.Attempt)))}
	if info.RetryPolicy != nil {
		h.maxAttempts = info.RetryPolicy.MaximumAttempts
	}
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) > 2*hopMargin {
		ctx, h.cancel = context.WithDeadline(ctx, deadline.Add(-hopMargin))
	}
	return ctx, h
}

// result is what a finished hop reports to the saga.
func (h *hop) result() HopResult {
	return HopResult{CorrelationID: h.correlationID, Attempt: h.attempt, SpanID: h.spanID}
}

// spanContext is the forward hop's root span as a remote span context, to
// link to; false when r does not name one.
func (r *HopRef) spanContext() (trace.SpanContext, bool) {
	if r == nil {
		return trace.SpanContext{}, false
	}
	tid, err1 := trace.TraceIDFromHex(r.CorrelationID)
	sid, err2 := trace.SpanIDFromHex(r.SpanID)
	if err1 != nil || err2 != nil {
		return trace.SpanContext{}, false
	}
	return trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled, Remote: true}), true
}
