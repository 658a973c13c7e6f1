package temporalclient

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.temporal.io/sdk/interceptor"

	"github.com/sagatrace/sagatrace/internal/ids"
)

// workflowIDTag is the span tag the SDK's tracing interceptor puts on every
// workflow and activity span. It is set after the span starts, so the span
// starter cannot read it; this tracer reads it from the start options.
const workflowIDTag = "temporalWorkflowID"

// workflowDTIDTracer tags each orchestration span that its start context
// left without a DTID with the DTID its workflow ID names. A saga started
// by the Temporal CLI carries no baggage, so without this its
// RunWorkflow, StartActivity and RunActivity spans had no dtid (and
// `trace --check` failed them); the spans started under them inherit it.
type workflowDTIDTracer struct {
	interceptor.Tracer
	dtidOf func(workflowID string) string
}

func (t workflowDTIDTracer) StartSpan(opts *interceptor.TracerStartSpanOptions) (interceptor.TracerSpan, error) {
	span, err := t.Tracer.StartSpan(opts)
	if err != nil {
		return span, err
	}
	wid := opts.Tags[workflowIDTag]
	if wid == "" {
		return span, nil
	}
	// The interceptor's span type is unexported; the OpenTelemetry span
	// inside it is reached through the context it makes.
	otelSpan := trace.SpanFromContext(t.ContextWithSpan(context.Background(), span))
	if ro, ok := otelSpan.(sdktrace.ReadOnlySpan); !ok || hasDTID(ro.Attributes()) {
		return span, nil
	}
	if dtid := t.dtidOf(wid); dtid != "" {
		otelSpan.SetAttributes(attribute.String(ids.AttrDTID, dtid))
	}
	return span, nil
}

func hasDTID(attrs []attribute.KeyValue) bool {
	for _, kv := range attrs {
		if kv.Key == ids.AttrDTID {
			return true
		}
	}
	return false
}
