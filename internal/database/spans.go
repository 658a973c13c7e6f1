package database

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/sagatrace/sagatrace/internal/ids"
)

// Spans opens one client span per method of a service's store, so every
// query of a saga hop shows in its trace, with the semantic-convention
// database attributes and the DTID that a search in Jaeger goes by.
type Spans struct {
	tracer  trace.Tracer
	system  attribute.KeyValue
	prefix  string
	answers []error
}

// NewSpans returns the spans of component's store ("payment") on a
// database of dialect d: from tp's tracer "<component>/store", named
// "<component>.store.<op>". answers are the errors that are answers rather
// than faults (not found, idempotency key reused): End does not mark their
// spans as failed.
func NewSpans(tp trace.TracerProvider, d Dialect, component string, answers ...error) Spans {
	return Spans{tracer: tp.Tracer(component + "/store"), system: d.SystemName(), prefix: component + ".store.", answers: answers}
}

// Start opens the span of store method op. dtid, when known, becomes the
// dtid attribute; reads that only look at a transaction pass "".
func (s Spans) Start(ctx context.Context, op, dtid string) (context.Context, trace.Span) {
	attrs := []attribute.KeyValue{s.system, semconv.DBOperationName(op)}
	if dtid != "" {
		attrs = append(attrs, attribute.String(ids.AttrDTID, dtid))
	}
	return s.tracer.Start(ctx, s.prefix+op, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
}

// End closes span, recording *err as the span's failure unless it is one
// of the answers. It takes a pointer so that `defer s.End(span, &err)`
// sees the named result as the method returns it.
func (s Spans) End(span trace.Span, err *error) {
	if *err != nil && !s.isAnswer(*err) {
		span.RecordError(*err)
		span.SetStatus(codes.Error, "store failed")
	}
	span.End()
}

func (s Spans) isAnswer(err error) bool {
	for _, a := range s.answers {
		if errors.Is(err, a) {
			return true
		}
	}
	return false
}
