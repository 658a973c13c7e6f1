package telemetry

import (
	"context"
	"log/slog"

	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/trace"

	"github.com/sagatrace/sagatrace/internal/ids"
)

// LogHandler stamps every record with the identities found in its context:
// trace_id and span_id of the current span, the dtid and the correlation_id
// of the hop. Log lines then join their traces without anyone remembering to
// add the fields. It also redacts card numbers from the message and the
// attributes (see redact.go).
type LogHandler struct{ next slog.Handler }

// NewLogHandler wraps next.
func NewLogHandler(next slog.Handler) *LogHandler { return &LogHandler{next: next} }

// Enabled reports whether next handles level.
func (h *LogHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

// Handle adds the identity attributes and passes the record on.
func (h *LogHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
	}
	dtid := ids.DTIDFrom(ctx)
	if dtid == "" {
		dtid = baggage.FromContext(ctx).Member(ids.BaggageDTID).Value()
	}
	if dtid != "" {
		r.AddAttrs(slog.String(ids.AttrDTID, dtid))
	}
	if cid := ids.CorrelationIDFrom(ctx); cid != "" {
		r.AddAttrs(slog.String(ids.AttrCorrelationID, cid))
	}
	return h.next.Handle(ctx, redactRecord(r))
}

// WithAttrs returns a handler whose records carry attrs.
func (h *LogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &LogHandler{next: h.next.WithAttrs(redactAttrs(attrs))}
}

// WithGroup returns a handler that nests later attributes under name.
func (h *LogHandler) WithGroup(name string) slog.Handler {
	return &LogHandler{next: h.next.WithGroup(name)}
}
