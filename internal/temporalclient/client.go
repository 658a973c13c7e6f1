// Package temporalclient dials Temporal the way every sagatrace component
// must: with the OpenTelemetry tracing interceptor (once, on the client, so
// workers made from it inherit it), the W3C+Jaeger propagator, structured
// logs, and spans tagged with the DTID carried in baggage.
package temporalclient

import (
	"context"
	"fmt"
	"log/slog"
	"net"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/trace"
	"go.temporal.io/sdk/client"
	tracing "go.temporal.io/sdk/contrib/opentelemetry"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/interceptor"
	tlog "go.temporal.io/sdk/log"

	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/payloadcodec"
	"github.com/sagatrace/sagatrace/internal/telemetry"
)

// Options locate the cluster and say how the client is observed.
type Options struct {
	Address        string // host:port of the frontend
	Namespace      string
	TracerProvider trace.TracerProvider
	Logger         *slog.Logger
	// DTIDOfWorkflow, when set, names the DTID of a workflow from its ID,
	// for the spans of a saga started without the DTID in its baggage (by
	// `temporal workflow start`): the saga worker sets it, so a search by
	// dtid finds those orchestration spans too.
	DTIDOfWorkflow func(workflowID string) string
	// TLS is the client's mTLS material; zero: plaintext.
	TLS TLS
	// Codec encrypts every payload the client sends and decrypts what it
	// reads (payloadcodec.Codec), failure messages included; nil sends
	// payloads in clear. Every client of one namespace needs the same keys.
	Codec converter.PayloadCodec
}

// Dial connects to Temporal and checks that the frontend answers.
func Dial(ctx context.Context, opts Options) (client.Client, error) {
	tracer, err := newTracer(opts.TracerProvider)
	if err != nil {
		return nil, err
	}
	if opts.DTIDOfWorkflow != nil {
		tracer = workflowDTIDTracer{Tracer: tracer, dtidOf: opts.DTIDOfWorkflow}
	}
	tracingInterceptor := interceptor.NewTracingInterceptor(tracer)
	tlsConfig, err := opts.TLS.Config()
	if err != nil {
		return nil, err
	}
	copts := client.Options{
		HostPort:          opts.Address,
		Namespace:         opts.Namespace,
		Logger:            tlog.NewStructuredLogger(opts.Logger),
		Interceptors:      []interceptor.ClientInterceptor{tracingInterceptor},
		ConnectionOptions: client.ConnectionOptions{GrpcCompression: compression(opts.Address), TLS: tlsConfig},
	}
	if opts.Codec != nil {
		copts.DataConverter = payloadcodec.DataConverter(opts.Codec)
		copts.FailureConverter = payloadcodec.FailureConverter(copts.DataConverter)
	}
	c, err := client.DialContext(ctx, copts)
	if err != nil {
		return nil, fmt.Errorf("dial temporal at %s (namespace %s): %w; is the server running? `sagatrace dev` starts one", opts.Address, opts.Namespace, err)
	}
	return c, nil
}

// newTracer is the SDK's OpenTelemetry tracer with the project's
// propagator, starting spans tagged with the DTID of their baggage.
func newTracer(tp trace.TracerProvider) (interceptor.Tracer, error) {
	tracer, err := tracing.NewTracer(tracing.TracerOptions{
		Tracer:            tp.Tracer("go.temporal.io/sdk"),
		TextMapPropagator: telemetry.Propagator(),
		SpanStarter:       startTaggedSpan,
	})
	if err != nil {
		return nil, fmt.Errorf("temporal tracing interceptor: %w", err)
	}
	return tracer, nil
}

// compression is gzip, the SDK's default, except to a server on this
// machine: there gzip saves no network and costs CPU on both sides, and
// the server's CPU is what limits saga throughput (gzip was 8% of the
// benchmark process's CPU profile).
func compression(address string) client.GrpcCompression {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return nil
	}
	if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
		return &client.GrpcCompressionNone{}
	}
	return nil
}

// startTaggedSpan puts the DTID from baggage on every orchestration span,
// so that a Jaeger search by dtid finds the whole orchestration trace.
func startTaggedSpan(ctx context.Context, t trace.Tracer, name string, opts ...trace.SpanStartOption) trace.Span {
	if dtid := baggage.FromContext(ctx).Member(ids.BaggageDTID).Value(); dtid != "" {
		opts = append(opts, trace.WithAttributes(attribute.String(ids.AttrDTID, dtid)))
	}
	_, span := t.Start(ctx, name, opts...)
	return span
}

// WithDTIDBaggage returns ctx whose baggage carries dtid, so that spans the
// Temporal interceptor starts from it (and their remote children) are tagged.
func WithDTIDBaggage(ctx context.Context, dtid string) (context.Context, error) {
	m, err := baggage.NewMemberRaw(ids.BaggageDTID, dtid)
	if err != nil {
		return ctx, fmt.Errorf("dtid %q as baggage: %w", dtid, err)
	}
	b, err := baggage.FromContext(ctx).SetMember(m)
	if err != nil {
		return ctx, fmt.Errorf("dtid %q as baggage: %w", dtid, err)
	}
	return baggage.ContextWithBaggage(ctx, b), nil
}
