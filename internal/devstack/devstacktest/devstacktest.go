// Package devstacktest starts the dev stack's real servers for tests, the
// way `sagatrace dev` starts them: each on free ports, stopped when its
// test ends. It is for tests only; production code must not import it.
package devstacktest

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/sagatrace/sagatrace/internal/devstack"
)

// JetStream starts an in-process NATS server with JetStream on a free port
// and connects to it; the server and the connection close when the test
// ends.
func JetStream(t testing.TB) (*devstack.NATS, *nats.Conn, jetstream.JetStream) {
	t.Helper()
	srv, err := devstack.StartNATS(t.Context(), devstack.NATSOptions{StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	nc, js := Connect(t, srv.ClientURL())
	return srv, nc, js
}

// Connect connects to the NATS server(s) at url with opts until the test
// ends.
func Connect(t testing.TB, url string, opts ...nats.Option) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return nc, js
}

// Tools returns the real Temporal and Jaeger binaries, building them on
// first use (later calls find them in the cache), and skips the test under
// -short. Deliberately no shortcut through a prebuilt directory: CI on a
// clean clone has to exercise exactly what `sagatrace dev` does.
func Tools(t *testing.T) devstack.Tools {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: needs the real Temporal and Jaeger binaries, whose first build takes several minutes")
	}
	root, err := devstack.FindRepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	tools, err := devstack.BuildTools(t.Context(), root, t.Output())
	if err != nil {
		t.Fatal(err)
	}
	return tools
}

// Temporal starts Temporal's dev server from the real binary (opts.Binary
// is set here) and stops it when the test ends, if the test did not.
func Temporal(t *testing.T, opts devstack.TemporalOptions) *devstack.Temporal {
	t.Helper()
	opts.Binary = Tools(t).Temporal
	return started(t, func() (*devstack.Temporal, error) { return devstack.StartTemporal(t.Context(), opts) })
}

// Jaeger starts Jaeger from the real binary, on free ports, and stops it
// when the test ends, if the test did not.
func Jaeger(t *testing.T) *devstack.Jaeger {
	t.Helper()
	opts := devstack.JaegerOptions{Binary: Tools(t).Jaeger, ConfigDir: t.TempDir()}
	return started(t, func() (*devstack.Jaeger, error) { return devstack.StartJaeger(t.Context(), opts) })
}

// stopper is what Temporal and Jaeger have in common for the tests.
type stopper interface {
	Stop(ctx context.Context) error
}

// started runs start, stops what it started when the test ends, and logs
// how long it took to be ready.
func started[S stopper](t *testing.T, start func() (S, error)) S {
	t.Helper()
	began := time.Now()
	s, err := start()
	if err != nil {
		t.Fatal(err)
	}
	StopOnCleanup(t, s)
	t.Logf("%T ready in %s", s, time.Since(began).Round(time.Millisecond))
	return s
}

// StopOnCleanup stops s when the test ends, in case an assertion failed
// before the test stopped it itself (Stop is idempotent), and fails the
// test if it does not stop.
func StopOnCleanup(t testing.TB, s stopper) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Stop(ctx); err != nil {
			t.Error(err)
		}
	})
}

// TracerProvider exports each span, as it ends, over OTLP/HTTP to
// endpoint (a Jaeger's OTLPHTTPEndpoint) as service, the way sagatrace's
// components do; the test shuts it down.
func TracerProvider(t testing.TB, endpoint, service string) *sdktrace.TracerProvider {
	t.Helper()
	exp, err := otlptracehttp.New(t.Context(), otlptracehttp.WithEndpoint(endpoint), otlptracehttp.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	return sdktrace.NewTracerProvider(
		sdktrace.WithSyncer(exp),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", service))),
	)
}
