package telemetry

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/baggage"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/sagatrace/sagatrace/internal/ids"
)

// dtidStamper tags every span with the DTID its start context knows — the
// context's own, the baggage's, or the one on its parent span in this
// process — so that a search by dtid finds every span of a transaction,
// also those a library starts (an HTTP client span, a database span)
// without knowing DTIDs.
type dtidStamper struct{}

func (dtidStamper) OnStart(parent context.Context, s sdktrace.ReadWriteSpan) {
	for _, kv := range s.Attributes() {
		if kv.Key == ids.AttrDTID {
			return
		}
	}
	if dtid := dtidOf(parent); dtid != "" {
		s.SetAttributes(attribute.String(ids.AttrDTID, dtid))
	}
}

func dtidOf(ctx context.Context) string {
	if dtid := ids.DTIDFrom(ctx); dtid != "" {
		return dtid
	}
	if dtid := baggage.FromContext(ctx).Member(ids.BaggageDTID).Value(); dtid != "" {
		return dtid
	}
	if p, ok := trace.SpanFromContext(ctx).(sdktrace.ReadOnlySpan); ok {
		for _, kv := range p.Attributes() {
			if kv.Key == ids.AttrDTID {
				return kv.Value.AsString()
			}
		}
	}
	return ""
}

func (dtidStamper) OnEnd(sdktrace.ReadOnlySpan)      {}
func (dtidStamper) Shutdown(context.Context) error   { return nil }
func (dtidStamper) ForceFlush(context.Context) error { return nil }
