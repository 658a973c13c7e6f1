// Package telemetry builds what every sagatrace component needs to be seen:
// a tracer provider per component (its own service.name), the propagators
// that let W3C and Jaeger callers join a trace, a carrier for NATS headers
// and a slog handler that stamps the identities onto every log line.
package telemetry

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// Config says where one component's spans go.
type Config struct {
	// ServiceName is the service.name resource attribute: payment, order,
	// scoring, saga-worker or sagatrace-cli.
	ServiceName string
	// OTLPEndpoint is the OTLP/HTTP base URL, e.g. http://127.0.0.1:4318.
	// Empty means the standard OTEL_EXPORTER_OTLP_* variables decide.
	OTLPEndpoint string
	// Disabled records and exports nothing. Spans still get trace IDs, so
	// correlation IDs exist, but they are unsampled, and the sampled flag in
	// traceparent tells every service downstream not to record either.
	Disabled bool
	// Logger hears, once, that spans are not exported because no collector
	// is configured; nil discards it.
	Logger *slog.Logger
}

// Exporting reports whether cfg names a collector: its own endpoint or one
// of the standard variables. Without one the OTLP exporter would try
// localhost:4318 and log "connection refused" at every batch, forever.
func (cfg Config) Exporting() bool {
	if cfg.Disabled {
		return false
	}
	if cfg.OTLPEndpoint != "" {
		return true
	}
	for _, v := range []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"} {
		if os.Getenv(v) != "" {
			return true
		}
	}
	return false
}

// NewTracerProvider returns a provider that samples everything its parent
// did not decline and batches spans to OTLP/HTTP. With no collector
// configured (see Config.Exporting) it exports nothing and says so once;
// spans still get trace IDs, so correlation IDs exist and propagate. The
// caller owns it and must Shutdown it, or the last batch is lost.
func NewTracerProvider(ctx context.Context, cfg Config) (*sdktrace.TracerProvider, error) {
	if cfg.ServiceName == "" {
		return nil, fmt.Errorf("telemetry: service name is empty")
	}
	// Resource attributes from OTEL_RESOURCE_ATTRIBUTES are honoured, but the
	// service name is the component's own: several components share a process.
	res, err := resource.Merge(
		resource.Environment(),
		resource.NewSchemaless(semconv.ServiceName(cfg.ServiceName)),
	)
	if err != nil {
		return nil, fmt.Errorf("telemetry: resource for %s: %w", cfg.ServiceName, err)
	}
	sampler := sdktrace.AlwaysSample()
	if cfg.Disabled {
		sampler = sdktrace.NeverSample()
	}
	opts := []sdktrace.TracerProviderOption{
		sdktrace.WithResource(res),
		sdktrace.WithSampler(sdktrace.ParentBased(sampler)),
		sdktrace.WithSpanProcessor(dtidStamper{}),
	}
	if !cfg.Disabled && !cfg.Exporting() {
		if cfg.Logger != nil {
			cfg.Logger.Info("no OTLP endpoint configured: spans are not exported (set --otlp-endpoint or OTEL_EXPORTER_OTLP_ENDPOINT to send them to a collector)",
				slog.String("service", cfg.ServiceName))
		}
	}
	if cfg.Exporting() {
		var expOpts []otlptracehttp.Option
		if cfg.OTLPEndpoint != "" {
			expOpts = append(expOpts, otlptracehttp.WithEndpointURL(cfg.OTLPEndpoint+"/v1/traces"))
		}
		exp, err := otlptracehttp.New(ctx, expOpts...)
		if err != nil {
			return nil, fmt.Errorf("telemetry: OTLP exporter for %s: %w", cfg.ServiceName, err)
		}
		opts = append(opts, sdktrace.WithBatcher(redactingExporter{next: exp}, sdktrace.WithBatchTimeout(time.Second)))
	}
	return sdktrace.NewTracerProvider(opts...), nil
}

// Shutdown flushes and stops tp within timeout; for deferred use in mains.
func Shutdown(tp *sdktrace.TracerProvider, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := tp.Shutdown(ctx); err != nil {
		return fmt.Errorf("telemetry: shut down tracer provider: %w", err)
	}
	return nil
}
