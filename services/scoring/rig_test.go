package scoring

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/sagatrace/sagatrace/internal/database"
	"github.com/sagatrace/sagatrace/internal/database/dbtest"
	"github.com/sagatrace/sagatrace/internal/devstack/devstacktest"
	"github.com/sagatrace/sagatrace/internal/telemetry"
)

// backends runs the store's tests on SQLite and on PostgreSQL; its cluster
// starts with the first PostgreSQL subtest (TestMain is in helper_test.go).
var backends dbtest.Backends

// rig is a real NATS server with JetStream and a real database.
type rig struct {
	nc    *nats.Conn
	js    jetstream.JetStream
	store *Store
	url   string // the store's database, for helper processes to open
}

// eachRig runs test once per backend (dbtest.Backends.Each), on a rig of
// partitions partitions with a fresh database of that backend.
func eachRig(t *testing.T, partitions int, test func(t *testing.T, r *rig)) {
	t.Helper()
	backends.Each(t, func(t *testing.T, backend dbtest.Backend) {
		test(t, startRig(t, backend.URL(t), partitions))
	})
}

// newRig is a rig on a SQLite file, for tests about the engine rather than
// its store.
func newRig(t *testing.T, partitions int) *rig { return newBenchRig(t, partitions) }

// newBenchRig is newRig for tests and benchmarks alike.
func newBenchRig(t testing.TB, partitions int) *rig {
	t.Helper()
	return startRig(t, filepath.Join(t.TempDir(), "scoring.db"), partitions)
}

func startRig(t testing.TB, dbURL string, partitions int) *rig {
	t.Helper()
	nc, js := startJetStream(t, partitions)
	return &rig{nc: nc, js: js, store: openStore(t, dbURL), url: dbURL}
}

// openStore opens a fresh store at url until the test ends.
func openStore(t testing.TB, url string) *Store {
	t.Helper()
	store, err := NewStore(t.Context(), openDB(t, url), noop.NewTracerProvider())
	if err != nil {
		t.Fatal(err)
	}
	return store
}

// openDB opens the database at url until the test ends.
func openDB(t testing.TB, url string) *sql.DB {
	t.Helper()
	db, err := database.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// startJetStream starts an in-process NATS server with JetStream on a
// free port, with the scoring streams of partitions partitions, and
// connects to it; all of it is stopped when the test ends.
func startJetStream(t testing.TB, partitions int) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	_, nc, js := devstacktest.JetStream(t)
	if err := EnsureStreams(t.Context(), js, StreamConfig{Partitions: partitions}, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	return nc, js
}

// consumerDeps are what a test's consumer runs with besides its store and
// config. Left zero: the rig's stream, no tracing, no logs and a metrics
// registry of its own.
type consumerDeps struct {
	js     jetstream.JetStream
	tp     trace.TracerProvider
	logger *slog.Logger
	reg    prometheus.Registerer
}

// newConsumer makes (but does not run) a consumer on r's store.
func (r *rig) newConsumer(t testing.TB, cfg ConsumerConfig, d consumerDeps) *Consumer {
	t.Helper()
	if d.js == nil {
		d.js = r.js
	}
	if d.tp == nil {
		d.tp = noop.NewTracerProvider()
	}
	if d.logger == nil {
		d.logger = slog.New(slog.DiscardHandler)
	}
	if d.reg == nil {
		d.reg = prometheus.NewRegistry()
	}
	c, err := NewConsumer(d.js, r.store, cfg, d.tp, telemetry.Propagator(), d.logger, d.reg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// runConsumer runs c in the background and returns stop, which ends the
// run gracefully and returns Run's error (the same one on every call). A
// run not stopped by the test is stopped when it ends; what that stop
// returns is left to the tests that judge it (startConsumer does).
func runConsumer(t testing.TB, c *Consumer) (stop func() error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	stop = sync.OnceValue(func() error {
		cancel()
		return <-done
	})
	t.Cleanup(func() { _ = stop() })
	return stop
}

// startConsumer runs a consumer on r until the test ends, whose stop then
// must be a clean one.
func (r *rig) startConsumer(t *testing.T, cfg ConsumerConfig, d consumerDeps) *Consumer {
	t.Helper()
	c := r.newConsumer(t, cfg, d)
	stop := runConsumer(t, c)
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("consumer: %v", err)
		}
	})
	return c
}

// run starts a consumer for all partitions until the test ends.
func (r *rig) run(t *testing.T, partitions int) *Consumer {
	t.Helper()
	return r.startConsumer(t, ConsumerConfig{PartitionCount: partitions, Flush: FlushPolicy{Interval: 100 * time.Millisecond}}, consumerDeps{})
}

// publishLike publishes a like event of delta to profile, and waits for
// the stream to store it.
func (r *rig) publishLike(t *testing.T, profile string, delta int64) {
	t.Helper()
	if _, err := r.js.Publish(t.Context(), Subject(profile), fmt.Appendf(nil, `{"profile_id":%q,"kind":"like","delta":%d}`, profile, delta)); err != nil {
		t.Fatal(err)
	}
}

// deadLetters reads the dead-letter stream from its start, without acks.
func (r *rig) deadLetters(t *testing.T) jetstream.Consumer {
	t.Helper()
	dlq, err := r.js.CreateOrUpdateConsumer(t.Context(), DLQStreamName, jetstream.ConsumerConfig{AckPolicy: jetstream.AckNonePolicy})
	if err != nil {
		t.Fatal(err)
	}
	return dlq
}

// checkErased fails t unless message seq of the scoring stream, the event
// what names, was erased.
func (r *rig) checkErased(t *testing.T, what string, seq uint64) {
	t.Helper()
	stream, err := r.js.Stream(t.Context(), StreamName)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.GetMsg(t.Context(), seq); !errors.Is(err, jetstream.ErrMsgNotFound) {
		t.Errorf("%s: stream message %d still readable (err %v), want it erased", what, seq, err)
	}
}

// scoreMismatch names the first profile whose stored score is not want's;
// "" when every one is.
func (r *rig) scoreMismatch(t *testing.T, want map[string]int64) string {
	for profile, score := range want {
		got, err := r.store.Score(t.Context(), profile)
		if err != nil || got.Score != score {
			return fmt.Sprintf("profile %s: score %d (%v), want %d", profile, got.Score, err, score)
		}
	}
	return ""
}

// scoresReach waits until every profile's stored score is want's.
func (r *rig) scoresReach(t *testing.T, want map[string]int64, timeout time.Duration) bool {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for r.scoreMismatch(t, want) != "" {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
	return true
}

func (r *rig) waitForScores(t *testing.T, want map[string]int64) {
	t.Helper()
	if !r.scoresReach(t, want, 30*time.Second) {
		if mismatch := r.scoreMismatch(t, want); mismatch != "" {
			t.Fatal(mismatch)
		}
	}
}

// waitForExactSums waits for want's scores and then checks that they count
// events events in all: none lost, none counted twice.
func (r *rig) waitForExactSums(t *testing.T, want map[string]int64, events int64) {
	t.Helper()
	r.waitForScores(t, want)
	var total int64
	for p := range want {
		sc, _ := r.store.Score(t.Context(), p)
		total += sc.Events
	}
	if total != events {
		t.Errorf("events counted %d, want %d", total, events)
	}
}

// waitFor polls cond until it holds, failing the test after timeout.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s after %s", what, timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// counterTotal sums a counter over its labels.
func counterTotal(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, f := range families {
		if f.GetName() == name {
			for _, m := range f.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}
