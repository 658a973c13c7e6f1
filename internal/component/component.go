// Package component starts one sagatrace component — payment, order,
// scoring or the saga worker — from its Config. `sagatrace dev` starts all
// of them in one process, `sagatrace serve <component>` one of them against
// external Temporal, NATS, OTLP and databases: the same code either way.
package component

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/sagatrace/sagatrace/internal/httpserver"
	"github.com/sagatrace/sagatrace/internal/payloadcodec"
	"github.com/sagatrace/sagatrace/internal/ratelimit"
	"github.com/sagatrace/sagatrace/internal/shutdown"
	"github.com/sagatrace/sagatrace/internal/telemetry"
	"github.com/sagatrace/sagatrace/internal/temporalclient"
	"github.com/sagatrace/sagatrace/workflows"
)

// Common is what every component needs to be observed.
type Common struct {
	// OTLPEndpoint is the OTLP/HTTP base URL; empty defers to OTEL_* variables.
	OTLPEndpoint    string
	TracingDisabled bool
	Logger          *slog.Logger
	// FaultsEnabled lets the component honour fault plans from drills. Off
	// unless asked for: production must not let a header break it.
	FaultsEnabled bool
	// PerIP bounds each client address of an HTTP component, before
	// authentication; zero fields are ratelimit.DefaultIPRate and
	// DefaultIPBurst.
	PerIP ratelimit.Config
}

// ipLimiter is the per-address limiter of c's HTTP server.
func (c Common) ipLimiter() (*ratelimit.Limiter, error) {
	cfg := c.PerIP
	cfg.Rate, cfg.Burst = cmp.Or(cfg.Rate, ratelimit.DefaultIPRate), cmp.Or(cfg.Burst, ratelimit.DefaultIPBurst)
	l, err := ratelimit.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("--ip-rate-limit / --ip-rate-burst: %w", err)
	}
	return l, nil
}

// Running is a started component.
type Running struct {
	Name string
	// Addr is the listening address of an HTTP component ("" for the worker).
	Addr string
	// Registry holds the component's metrics, served on /metrics.
	Registry *prometheus.Registry
	stops    shutdown.Funcs
	done     chan error
	stopOnce sync.Once
	stopErr  error
}

// URL is the component's base URL.
func (r *Running) URL() string { return "http://" + r.Addr }

// Done reports an unexpected end of the component (nil error on Stop).
func (r *Running) Done() <-chan error { return r.done }

// Stop shuts the component down in reverse order of start: stop taking work,
// finish what is in flight, flush spans, close stores. Only the first call
// acts (a test stops the stack's worker before the stack); later ones
// return its error.
func (r *Running) Stop(ctx context.Context) error {
	r.stopOnce.Do(func() { r.stopErr = r.stop(ctx) })
	return r.stopErr
}

func (r *Running) stop(ctx context.Context) error {
	if err := r.stops.Run(ctx); err != nil {
		return fmt.Errorf("stop %s: %w", r.Name, err)
	}
	return nil
}

// fail reports an unexpected end; only the first one is kept.
func (r *Running) fail(err error) {
	select {
	case r.done <- err:
	default:
	}
}

func (r *Running) onStop(f func(context.Context) error) { r.stops.Add(f) }

// observe gives the component r its logger, which names it, and its own
// tracer provider and service.name, whose shutdown r's stop runs so the
// last spans are exported.
func (c Common) observe(ctx context.Context, r *Running) (*slog.Logger, *sdktrace.TracerProvider, error) {
	tp, err := telemetry.NewTracerProvider(ctx, telemetry.Config{
		ServiceName: r.Name, OTLPEndpoint: c.OTLPEndpoint, Disabled: c.TracingDisabled, Logger: c.Logger,
	})
	if err != nil {
		return nil, nil, err
	}
	r.onStop(tp.Shutdown)
	return c.Logger.With(slog.String("service", r.Name)), tp, nil
}

// dialTemporal connects r to Temporal, traced with tp, over mTLS when
// tlsFiles say so, its payloads encrypted with the keys of codecKeyFile
// ("" for none), and closes the client when r stops. The data converter it
// returns reads the payloads of raw histories as the client does.
func dialTemporal(ctx context.Context, r *Running, address, namespace string, tlsFiles temporalclient.TLS, codecKeyFile string, tp trace.TracerProvider, logger *slog.Logger) (client.Client, converter.DataConverter, error) {
	opts := temporalclient.Options{
		Address: address, Namespace: namespace, TracerProvider: tp, Logger: logger, TLS: tlsFiles,
		DTIDOfWorkflow: workflows.DTIDOfWorkflowID,
	}
	if codecKeyFile == "" {
		logger.Warn("no --codec-key-file: saga payloads (customer, card token, amount) go to Temporal in clear")
	} else {
		codec, err := payloadcodec.LoadCodec(codecKeyFile)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: --codec-key-file: %w", r.Name, err)
		}
		logger.Info("encrypting Temporal payloads", slog.String("current_key_id", codec.CurrentKeyID()))
		opts.Codec = codec
	}
	tc, err := temporalclient.Dial(ctx, opts)
	if err != nil {
		return nil, nil, err
	}
	r.onStop(func(context.Context) error { tc.Close(); return nil })
	return tc, payloadcodec.DataConverter(opts.Codec), nil
}

// serveHTTP listens on addr (":0" picks a free port) and serves h, and the
// component's metrics on /metrics, until Stop, which lets in-flight
// requests finish.
func serveHTTP(r *Running, addr string, h http.Handler, c Common, logger *slog.Logger) error {
	ln, err := listen(r, addr)
	if err != nil {
		return err
	}
	if err := serve(r, ln, h, c, logger); err != nil {
		_ = ln.Close()
		return err
	}
	return nil
}

// listen takes addr for r and sets r.Addr, before the handler exists when
// the handler needs the address (the console's Host allowlist).
func listen(r *Running, addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s: listen on %s: %w (is another process using the port? pick another with its --*-port flag)", r.Name, addr, err)
	}
	r.Addr = ln.Addr().String()
	return ln, nil
}

// serve serves h and /metrics on ln until Stop, each client address
// limited to c.PerIP before anything else.
func serve(r *Running, ln net.Listener, h http.Handler, c Common, logger *slog.Logger) error {
	limiter, err := c.ipLimiter()
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(r.Registry, promhttp.HandlerOpts{}))
	mux.Handle("/", h)
	srv := httpserver.New(limiter.PerIP(mux), slog.NewLogLogger(logger.Handler(), slog.LevelWarn))
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			r.fail(fmt.Errorf("%s: serve: %w", r.Name, err))
		}
	}()
	r.onStop(srv.Shutdown)
	return nil
}

func newRunning(name string) *Running {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return &Running{Name: name, Registry: reg, done: make(chan error, 1)}
}

// start starts the component name: it gives it its logger and tracer
// provider (observe), then lets build start the rest, registering on r
// what to stop. When either fails, whatever had started is stopped again,
// so a failed start leaves nothing behind.
func start(ctx context.Context, name string, c Common, build func(*Running, *slog.Logger, *sdktrace.TracerProvider) error) (*Running, error) {
	r := newRunning(name)
	err := func() error {
		logger, tp, err := c.observe(ctx, r)
		if err != nil {
			return err
		}
		return build(r, logger, tp)
	}()
	if err != nil {
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		return nil, errors.Join(err, r.Stop(stopCtx))
	}
	return r, nil
}

// ConfigError is a configuration that does not validate: the component
// did not start, and nothing was touched. Err names every problem, each
// by its flag; a command answers it as a usage error.
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

// invalid wraps the error of a Validate, nil when it has none.
func invalid(err error) error {
	if err == nil {
		return nil
	}
	return &ConfigError{Err: err}
}

// setting is one flag of a component's configuration and its value.
type setting struct{ flag, value string }

// required reports, at once, every setting of component that is empty.
func required(component string, settings ...setting) error {
	var errs []error
	for _, s := range settings {
		if s.value == "" {
			errs = append(errs, fmt.Errorf("%s: %s is required", component, s.flag))
		}
	}
	return errors.Join(errs...)
}
