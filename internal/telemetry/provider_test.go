package telemetry

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"
)

// A component started with no collector must not retry an export that can
// never succeed (the OTLP default, localhost:4318, logs "connection
// refused" at every batch); it says so once, and its spans still carry IDs.
func TestTracerProviderWithoutCollector(t *testing.T) {
	closed := closedPort(t)
	tests := []struct {
		name       string
		endpoint   string
		env        map[string]string
		wantExport bool
	}{
		{name: "nothing_configured", wantExport: false},
		{name: "flag", endpoint: "http://" + closed, wantExport: true},
		{name: "generic_variable", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://" + closed}, wantExport: true},
		{name: "traces_variable", env: map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://" + closed + "/v1/traces"}, wantExport: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
			t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			var logs bytes.Buffer
			cfg := Config{ServiceName: "payment", OTLPEndpoint: tt.endpoint, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
			if got := cfg.Exporting(); got != tt.wantExport {
				t.Fatalf("Exporting() = %v, want %v", got, tt.wantExport)
			}
			tp, err := NewTracerProvider(t.Context(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			_, span := tp.Tracer("test").Start(t.Context(), "hop")
			span.End()
			if !span.SpanContext().TraceID().IsValid() || !span.SpanContext().IsSampled() {
				t.Errorf("span context %v: want a valid, sampled trace ID", span.SpanContext())
			}
			// An exporter pointed at a closed port fails its flush; no
			// exporter has nothing to fail.
			flushErr := tp.ForceFlush(t.Context())
			if tt.wantExport != (flushErr != nil) {
				t.Errorf("ForceFlush = %v; want an export attempt: %v", flushErr, tt.wantExport)
			}
			_ = tp.Shutdown(context.Background())
			lines := strings.Count(logs.String(), "no OTLP endpoint configured")
			if want := map[bool]int{true: 0, false: 1}[tt.wantExport]; lines != want {
				t.Errorf("logged %d notices, want %d:\n%s", lines, want, logs.String())
			}
		})
	}
}

// closedPort returns an address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}
