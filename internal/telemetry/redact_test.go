package telemetry

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

const pan = "4111111111111111"

func TestLogHandlerRedactsCardNumbers(t *testing.T) {
	tests := []struct {
		name string
		log  func(*slog.Logger)
	}{
		{"message", func(l *slog.Logger) { l.Info("refused " + pan) }},
		{"string_attr", func(l *slog.Logger) { l.Info("refused", "customer_id", pan) }},
		{"error_attr", func(l *slog.Logger) { l.Warn("refused", "error", errors.New("currency \""+pan+"\" is not supported")) }},
		{"group", func(l *slog.Logger) { l.Info("refused", slog.Group("req", slog.String("body", `{"card":"`+pan+`"}`))) }},
		{"with_attrs", func(l *slog.Logger) { l.With("customer_id", pan).Info("refused") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			tt.log(slog.New(NewLogHandler(slog.NewJSONHandler(&buf, nil))))
			if strings.Contains(buf.String(), pan) {
				t.Errorf("log line holds the card number: %s", buf.String())
			}
			if !strings.Contains(buf.String(), "************1111") {
				t.Errorf("log line lost the redacted value: %s", buf.String())
			}
		})
	}
}

func TestLogHandlerPassesCleanRecordsUnchanged(t *testing.T) {
	var buf bytes.Buffer
	slog.New(NewLogHandler(slog.NewJSONHandler(&buf, nil))).Info("charged", "payment_id", "01a21946-6958-71f1-a62d-51681e696914", "amount_cents", 1299)
	if !strings.Contains(buf.String(), `"payment_id":"01a21946-6958-71f1-a62d-51681e696914","amount_cents":1299`) {
		t.Errorf("clean record changed: %s", buf.String())
	}
}

// Values of any kind pass: slices and maps cannot be compared with ==,
// and a log line must never panic the component that writes it.
func TestLogHandlerTakesUncomparableValues(t *testing.T) {
	tests := []struct {
		name string
		attr slog.Attr
		want string
	}{
		{"slice", slog.Any("partitions", []int{0, 2, 4}), `"partitions":[0,2,4]`},
		{"map", slog.Any("owners", map[string]int{"a": 1}), `"owners":{"a":1}`},
		{"slice_in_group", slog.Group("assignment", slog.Any("partitions", []int{1})), `"assignment":{"partitions":[1]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			slog.New(NewLogHandler(slog.NewJSONHandler(&buf, nil))).Info("assigned", tt.attr)
			if !strings.Contains(buf.String(), tt.want) {
				t.Errorf("log line = %s, want %s", buf.String(), tt.want)
			}
		})
	}
}

func TestExporterRedactsCardNumbers(t *testing.T) {
	mem := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(redactingExporter{next: mem}))
	tr := tp.Tracer("test")
	_, clean := tr.Start(context.Background(), "clean", trace.WithAttributes(attribute.String("payment_id", "p-1")))
	clean.End()
	_, dirty := tr.Start(context.Background(), "POST /v1/payments", trace.WithAttributes(
		attribute.String("customer_id", pan), attribute.StringSlice("cards", []string{"x", pan}), attribute.Int("n", 1)))
	dirty.AddEvent("refused", trace.WithAttributes(attribute.String("detail", "card "+pan)))
	dirty.SetStatus(codes.Error, "currency \""+pan+"\" is not supported")
	dirty.End()
	spans := mem.GetSpans() // exported at End (a syncer); Shutdown would clear them
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	if len(spans) != 2 {
		t.Fatalf("exported %d spans, want 2", len(spans))
	}
	for _, s := range spans {
		var all []string
		all = append(all, s.Name, s.Status.Description)
		for _, kv := range s.Attributes {
			all = append(all, kv.Value.Emit())
		}
		for _, ev := range s.Events {
			for _, kv := range ev.Attributes {
				all = append(all, kv.Value.Emit())
			}
		}
		if joined := strings.Join(all, " "); strings.Contains(joined, pan) {
			t.Errorf("span %s exported the card number: %s", s.Name, joined)
		}
	}
	if got := spans[1].Attributes[0].Value.AsString(); got != "************1111" {
		t.Errorf("customer_id exported as %q, want the redacted form", got)
	}
	if spans[1].Attributes[2].Value.AsInt64() != 1 {
		t.Errorf("a non-string attribute changed: %v", spans[1].Attributes[2])
	}
}
