package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/sagatrace/sagatrace/internal/component"
	"github.com/sagatrace/sagatrace/internal/devstack"
	"github.com/sagatrace/sagatrace/internal/stack"
	"github.com/sagatrace/sagatrace/internal/telemetry"
)

func runDev(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("dev [flags]", `Runs the whole stack on this machine until Ctrl-C: NATS with JetStream
(in-process), Temporal's dev server and Jaeger v2 (real binaries, built from
tools/go.mod on first use — that first build takes several minutes), and the
payment, order and scoring services and the saga worker. Sagas, streams and
service rows persist in --data-dir across restarts; traces are in memory.`,
		"  go run ./cmd/sagatrace dev\n  go run ./cmd/sagatrace dev --data-dir /tmp/st --payment-port 9081", stderr)
	dataDir := fs.String("data-dir", ".sagatrace", "where sagas, streams, databases and logs are kept")
	host := fs.String("host", "127.0.0.1", "address every part binds to")
	logLevel := fs.String("log-level", "info", "log level of the services: debug, info, warn or error")
	faults := fs.Bool("faults", true, "let services honour fault plans (for drills); production runs leave this off")
	encrypt := fs.Bool("payload-encryption", true, "encrypt every saga payload Temporal stores (keys made on first start in <data-dir>/codec/keys.json) and serve the codec server the Temporal UI and CLI decode with; "+
		"false keeps payloads in clear: sagas encrypted earlier then no longer decode, and start, trace, drill and bench need --codec-key-file off while the key file exists")
	var pragmas []string
	fs.Func("temporal-sqlite-pragma", "PRAGMA=VALUE for the Temporal dev server's database (repeatable; replaces the default journal_mode=wal, synchronous=normal)", func(v string) error {
		pragmas = append(pragmas, v)
		return nil
	})
	ports := stack.DefaultPorts()
	for _, p := range []struct {
		name  string
		port  *int
		usage string
	}{
		{"temporal-port", &ports.Temporal, "Temporal frontend (gRPC)"},
		{"temporal-ui-port", &ports.TemporalUI, "Temporal Web UI"},
		{"temporal-http-port", &ports.TemporalHTTP, "Temporal HTTP API"},
		{"jaeger-port", &ports.JaegerQuery, "Jaeger query HTTP API"},
		{"jaeger-grpc-port", &ports.JaegerQueryGRPC, "Jaeger query gRPC API"},
		{"otlp-grpc-port", &ports.OTLPGRPC, "Jaeger OTLP/gRPC receiver"},
		{"otlp-http-port", &ports.OTLPHTTP, "Jaeger OTLP/HTTP receiver"},
		{"jaeger-thrift-port", &ports.JaegerThriftHTTP, "Jaeger thrift HTTP receiver (jaeger-client-go)"},
		{"jaeger-compact-port", &ports.JaegerCompactUDP, "Jaeger compact thrift UDP receiver (jaeger-client-go)"},
		{"nats-port", &ports.NATS, "NATS client port"},
		{"scoring-port", &ports.Scoring, "scoring service"},
		{"console-port", &ports.Console, "saga console (browser)"},
		{"codec-port", &ports.Codec, "payload codec server (Temporal UI and CLI decode with it)"},
	} {
		fs.IntVar(p.port, p.name, *p.port, p.usage+" (0: any free port)")
	}
	servicePorts := map[string]*int{}
	for _, svc := range component.Services() {
		servicePorts[svc.Name] = fs.Int(svc.Name+"-port", ports.Services[svc.Name], svc.Name+" service (0: any free port)")
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	for name, port := range servicePorts {
		ports.Services[name] = *port
	}
	logger, err := newLogger(stderr, *logLevel)
	if err != nil {
		return usageError{err.Error()}
	}
	wd, err := os.Getwd()
	if err != nil {
		return fmt.Errorf("working directory: %w", err)
	}
	root, err := devstack.FindRepoRoot(wd)
	if err != nil {
		return fmt.Errorf("%w; run `sagatrace dev` from the sagatrace repository, it builds Temporal and Jaeger from tools/go.mod", err)
	}
	absData, err := filepath.Abs(*dataDir)
	if err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	s, err := stack.Start(ctx, stack.Config{
		RepoRoot: root, DataDir: absData, Host: *host, Ports: ports,
		Logger: logger, Progress: stderr, FaultsEnabled: *faults, TemporalPragmas: pragmas,
		PayloadEncryption: *encrypt,
	})
	if err != nil {
		if ctx.Err() != nil {
			return errors.New("interrupted while starting; everything started so far was stopped")
		}
		return err
	}
	s.PrintBanner(stdout)
	waitErr := s.Wait(ctx)
	fmt.Fprintln(stderr, "stopping…")
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	return errors.Join(waitErr, s.Stop(stopCtx))
}

// newLogger returns a logger for the terminal that
// stamps every line with trace_id, span_id, dtid and correlation_id.
func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %q is not one of debug, info, warn, error", level)
	}
	return slog.New(telemetry.NewLogHandler(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))), nil
}
