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
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root, err := devstack.FindRepoRoot(wd)
	if err != nil {
		t.Fatal(err)
	}
	// The log is kept outside the data dir, so the test reads what was
	// unpacked and nothing else; it is in the test's temp dir on failure.
	logFile, err := os.Create(filepath.Join(t.TempDir(), "services.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logFile.Close() })
	logger := slog.New(telemetry.NewLogHandler(slog.NewJSONHandler(logFile, &slog.HandlerOptions{Level: slog.LevelInfo})))
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	s, err := stack.Start(ctx, stack.Config{
		RepoRoot: root, DataDir: dataDir, Host: "127.0.0.1", Ports: stack.Ports{}, // all free
		Logger: logger, Progress: io.Discard, FaultsEnabled: true, TracingDisabled: !cfg.traced, BuildID: cfg.buildID,
		PayloadEncryption: cfg.payloadEncryption,
	})
	if err != nil {
		t.Fatalf("start this build's stack on %s: %v", dataDir, err)
	}
	t.Cleanup(func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := s.Stop(stopCtx); err != nil {
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
