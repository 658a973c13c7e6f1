package scoring

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"syscall"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/sagatrace/sagatrace/internal/database"
	"github.com/sagatrace/sagatrace/internal/servicetest"
	"github.com/sagatrace/sagatrace/internal/telemetry"
)

// Helper processes are this test binary run again as a separate scoring
// process (the os/exec tests' pattern): the crash helper (crash_test.go)
// and the member helper (failover_test.go). Their test tells them where
// NATS and the database are through the environment.
const (
	envNATS = "SCORING_HELPER_NATS"
	envDB   = "SCORING_HELPER_DB"
)

func TestMain(m *testing.M) {
	for _, h := range []struct {
		env string
		run func() error
	}{{envMember, runMemberHelper}, {envHelper, runCrashHelper}} {
		if os.Getenv(h.env) == "" {
			continue
		}
		if err := h.run(); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", h.env, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(backends.Run(m))
}

// helperConsumer makes a helper process's consumer (untraced, with a
// metrics registry of its own) on the NATS server and the store its test
// named, connecting with opts.
func helperConsumer(ctx context.Context, cfg ConsumerConfig, logger *slog.Logger, opts ...nats.Option) (*Consumer, error) {
	nc, err := nats.Connect(os.Getenv(envNATS), opts...)
	if err != nil {
		return nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	db, err := database.Open(ctx, os.Getenv(envDB))
	if err != nil {
		return nil, err
	}
	store, err := NewStore(ctx, db, noop.NewTracerProvider())
	if err != nil {
		return nil, err
	}
	return NewConsumer(js, store, cfg, noop.NewTracerProvider(), telemetry.Propagator(), logger, prometheus.NewRegistry())
}

// spawnHelper runs a helper process with env (KEY=VALUE) on the test's NATS
// server and database, killed when the test ends, and returns it with the
// lines it prints.
func spawnHelper(t *testing.T, natsURL, dbURL string, env ...string) (*exec.Cmd, <-chan string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), envNATS+"="+natsURL, envDB+"="+dbURL), env...)
	cmd.Stderr = os.Stderr
	lines := servicetest.StartLines(t, cmd)
	return cmd, lines
}

// sigkill kills a helper process at once, as a crash would, and returns
// once it is gone.
func sigkill(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
}
