package e2e

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace/noop"
	"go.temporal.io/sdk/client"

	"github.com/sagatrace/sagatrace/internal/auth"
	"github.com/sagatrace/sagatrace/internal/component"
	"github.com/sagatrace/sagatrace/internal/devstack"
	"github.com/sagatrace/sagatrace/internal/stack"
	"github.com/sagatrace/sagatrace/internal/telemetry"
	"github.com/sagatrace/sagatrace/internal/temporalclient"
	"github.com/sagatrace/sagatrace/services/order/orderapi"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
)

// ownStack is a stack of a test's own (this build's on an old build's
// data dir, a rolling upgrade's, or one that encrypts payloads); it shares
// nothing with the package's shared stack.
type ownStack struct {
	stack    *stack.Stack
	temporal client.Client
}

// ownStackConfig is how a test's own stack differs from this build's
// defaults.
type ownStackConfig struct {
	// dataDir is the stack's data dir; "" for a fresh one.
	dataDir string
	// buildID is its saga worker's build; "" for the binary's own.
	buildID string
	// payloadEncryption encrypts saga payloads, as `sagatrace dev` does.
	payloadEncryption bool
	// traced exports spans to the stack's Jaeger, for a test that runs the
	// drill (which checks them); the upgrade tests look at histories and
	// rows only.
	traced bool
}

// startOwnStack starts this build's stack as cfg says, with a Temporal
// client (without the codec: it reads what Temporal stores); the test's
// cleanup stops it.
func startOwnStack(t *testing.T, cfg ownStackConfig) *ownStack {
	t.Helper()
	dataDir := cfg.dataDir
	if dataDir == "" {
		dataDir = t.TempDir()
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	// The log is kept outside the data dir, so the test reads what was
	// unpacked and nothing else; it is in the test's temp dir on failure.
	s, logger, stop, err := startStack(ctx, stack.Config{
		DataDir: dataDir, TracingDisabled: !cfg.traced, BuildID: cfg.buildID, PayloadEncryption: cfg.payloadEncryption,
	}, filepath.Join(t.TempDir(), "services.log"))
	if err != nil {
		t.Fatalf("start this build's stack on %s: %v", dataDir, err)
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("stop the test's own stack: %v", err)
		}
	})
	tc, err := temporalclient.Dial(ctx, temporalclient.Options{
		Address: s.Temporal.HostPort(), Namespace: "default", TracerProvider: noop.NewTracerProvider(), Logger: logger,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tc.Close)
	return &ownStack{stack: s, temporal: tc}
}

// startStack starts this build's stack for the tests, the shared one and
// a test's own alike: cfg's DataDir and options, on free ports of
// 127.0.0.1, honouring fault plans, its components logging JSON at info
// to logPath (the progress of the start to cfg.Progress, else nowhere).
// stop stops it and closes the log.
func startStack(ctx context.Context, cfg stack.Config, logPath string) (s *stack.Stack, logger *slog.Logger, stop func() error, err error) {
	wd, err := os.Getwd()
	if err != nil {
		return nil, nil, nil, err
	}
	if cfg.RepoRoot, err = devstack.FindRepoRoot(wd); err != nil {
		return nil, nil, nil, err
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, nil, nil, err
	}
	logger = slog.New(telemetry.NewLogHandler(slog.NewJSONHandler(logFile, &slog.HandlerOptions{Level: slog.LevelInfo})))
	cfg.Host, cfg.Ports, cfg.Logger, cfg.FaultsEnabled = "127.0.0.1", stack.Ports{}, logger, true // ports all free
	if cfg.Progress == nil {
		cfg.Progress = io.Discard
	}
	if s, err = stack.Start(ctx, cfg); err != nil {
		logFile.Close()
		return nil, nil, nil, err
	}
	stop = func() error {
		stopCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		err := s.Stop(stopCtx)
		logFile.Close()
		return err
	}
	return s, logger, stop, nil
}

// paymentClient reads this stack's payment service as an operator holding
// its scopes (the shared stack's transport knows only its own services).
func (u *ownStack) paymentClient() *paymentapi.Client {
	return paymentapi.NewClient(u.stack.Service(paymentapi.Audience).URL(), u.operatorHTTP(paymentapi.Audience))
}

// orderClient reads this stack's order service as an operator holding its
// scopes.
func (u *ownStack) orderClient() *orderapi.Client {
	return orderapi.NewClient(u.stack.Service(orderapi.Audience).URL(), u.operatorHTTP(orderapi.Audience))
}

// operatorHTTP sends tokens for audience with every scope it knows,
// minted with this stack's key.
func (u *ownStack) operatorHTTP(audience string) *http.Client {
	src := auth.NewIssuer(u.stack.Keys.Private, "").Source(auth.Grant{
		Subject: "e2e-operator", Audience: []string{audience}, Scopes: component.Registry()[audience],
	})
	return &http.Client{Transport: &auth.Transport{Base: http.DefaultTransport, Source: src}, Timeout: 10 * time.Second}
}
