package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/baggage"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/sagatrace/sagatrace/internal/ids"
)

func TestLogHandlerStampsIdentities(t *testing.T) {
	tp := sdktrace.NewTracerProvider()
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	ctx, span := tp.Tracer("test").Start(context.Background(), "hop")
	defer span.End()
	ctx = ids.WithCorrelationID(ids.WithDTID(ctx, "d-1"), span.SpanContext().TraceID().String())

	var buf bytes.Buffer
	log := slog.New(NewLogHandler(slog.NewJSONHandler(&buf, nil)))
	log.InfoContext(ctx, "charged")

	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("log line is not JSON: %v: %s", err, buf.String())
	}
	want := map[string]string{
		"dtid":           "d-1",
		"trace_id":       span.SpanContext().TraceID().String(),
		"span_id":        span.SpanContext().SpanID().String(),
		"correlation_id": span.SpanContext().TraceID().String(),
	}
	for k, v := range want {
		if rec[k] != v {
			t.Errorf("%s = %v, want %v", k, rec[k], v)
		}
	}
}

func TestNATSHeaderCarrierKeepsCase(t *testing.T) {
	tp := sdktrace.NewTracerProvider()
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	ctx, span := tp.Tracer("test").Start(context.Background(), "publish")
	defer span.End()

	h := nats.Header{}
	Propagator().Inject(ctx, NATSHeaderCarrier(h))
	if h.Get("traceparent") == "" {
		t.Fatalf("traceparent not written in lower case: %v", h)
	}
	got := trace.SpanContextFromContext(Propagator().Extract(context.Background(), NATSHeaderCarrier(h)))
	if got.TraceID() != span.SpanContext().TraceID() {
		t.Fatalf("extracted trace %s, want %s", got.TraceID(), span.SpanContext().TraceID())
	}
}

func TestPropagatorAcceptsJaegerHeader(t *testing.T) {
	carrier := NATSHeaderCarrier(nats.Header{})
	carrier.Set("uber-trace-id", "00000000000000000000000000000abc:0000000000000def:0:1")
	sc := trace.SpanContextFromContext(Propagator().Extract(context.Background(), carrier))
	if got := sc.TraceID().String(); got != "00000000000000000000000000000abc" {
		t.Fatalf("trace id from uber-trace-id = %s", got)
	}
}

func TestEverySpanInheritsTheDTID(t *testing.T) {
	tests := []struct {
		name string
		ctx  func(context.Context, trace.Tracer) context.Context
		want string
	}{
		{"context", func(ctx context.Context, _ trace.Tracer) context.Context { return ids.WithDTID(ctx, "d-ctx") }, "d-ctx"},
		{"baggage", func(ctx context.Context, _ trace.Tracer) context.Context {
			m, _ := baggage.NewMemberRaw(ids.BaggageDTID, "d-bag")
			b, _ := baggage.New(m)
			return baggage.ContextWithBaggage(ctx, b)
		}, "d-bag"},
		{"parent_span", func(ctx context.Context, tr trace.Tracer) context.Context {
			ctx, _ = tr.Start(ctx, "server", trace.WithAttributes(attribute.String(ids.AttrDTID, "d-parent")))
			return ctx
		}, "d-parent"},
		{"none", func(ctx context.Context, _ trace.Tracer) context.Context { return ctx }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tp, err := NewTracerProvider(t.Context(), Config{ServiceName: "test", OTLPEndpoint: "", Disabled: false})
			if err != nil {
				t.Fatal(err)
			}
			defer tp.Shutdown(context.Background())
			tr := tp.Tracer("test")
			_, span := tr.Start(tt.ctx(t.Context(), tr), "HTTP POST")
			got := ""
			for _, kv := range span.(sdktrace.ReadOnlySpan).Attributes() {
				if kv.Key == ids.AttrDTID {
					got = kv.Value.AsString()
				}
			}
			if got != tt.want {
				t.Errorf("dtid = %q, want %q", got, tt.want)
			}
		})
	}
}
