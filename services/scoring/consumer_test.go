package scoring

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/sagatrace/sagatrace/internal/database"
	"github.com/sagatrace/sagatrace/internal/database/dbtest"
	"github.com/sagatrace/sagatrace/internal/devstack"
	"github.com/sagatrace/sagatrace/internal/telemetry"
)

// backends runs the store's tests on SQLite and on PostgreSQL; its cluster
// starts with the first PostgreSQL subtest (TestMain is in crash_test.go).
var backends dbtest.Backends

// rig is a real NATS server with JetStream and a real database.
type rig struct {
	nc    *nats.Conn
	js    jetstream.JetStream
	store *Store
}

// newRigOn is a rig on a fresh database of backend.
func newRigOn(t *testing.T, backend dbtest.Backend, partitions int) *rig {
	t.Helper()
	return startRig(t, backend.URL(t), partitions)
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
	ctx := t.Context()
	nc, js := startJetStream(t, partitions)
	db, err := database.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	store, err := NewStore(ctx, db, noop.NewTracerProvider())
	if err != nil {
		t.Fatal(err)
	}
	return &rig{nc: nc, js: js, store: store}
}

// startJetStream starts an in-process NATS server with JetStream on a
// free port, with the scoring streams of partitions partitions, and
// connects to it; all of it is stopped when the test ends.
func startJetStream(t testing.TB, partitions int) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	srv, err := devstack.StartNATS(t.Context(), devstack.NATSOptions{StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if err := EnsureStreams(t.Context(), js, StreamConfig{Partitions: partitions}, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	return nc, js
}

// run starts a consumer for all partitions until the test ends.
func (r *rig) run(t *testing.T, partitions int) *Consumer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	c, err := NewConsumer(r.js, r.store, ConsumerConfig{PartitionCount: partitions, Flush: FlushPolicy{Interval: 100 * time.Millisecond}},
		noop.NewTracerProvider(), telemetry.Propagator(), slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("consumer: %v", err)
		}
	})
	return c
}

func (r *rig) waitForScores(t *testing.T, want map[string]int64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		mismatch := ""
		for profile, score := range want {
			got, err := r.store.Score(t.Context(), profile)
			if err != nil || got.Score != score {
				mismatch = fmt.Sprintf("profile %s: score %d (%v), want %d", profile, got.Score, err, score)
				break
			}
		}
		if mismatch == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(mismatch)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestConsumerStoresExactSums(t *testing.T) {
	backends.Each(t, func(t *testing.T, backend dbtest.Backend) {
		const partitions = 4
		r := newRigOn(t, backend, partitions)
		r.run(t, partitions)

		want := map[string]int64{}
		for i := range 600 {
			profile := fmt.Sprintf("p-%d", i%37)
			delta := int64(i%7 - 3)
			want[profile] += delta
			data := fmt.Sprintf(`{"profile_id":%q,"kind":"like","delta":%d}`, profile, delta)
			// Core NATS publish, as `nats pub` does: the stream captures it.
			if err := r.nc.Publish(Subject(profile), []byte(data)); err != nil {
				t.Fatal(err)
			}
		}
		if err := r.nc.Flush(); err != nil {
			t.Fatal(err)
		}
		r.waitForScores(t, want)
	})
}

func TestConsumerSkipsWhatWasAlreadyCommitted(t *testing.T) {
	backends.Each(t, func(t *testing.T, backend dbtest.Backend) {
		r := newRigOn(t, backend, 1)
		// A previous run committed up to sequence 2 but died before acking.
		if err := r.store.CommitBatch(t.Context(), &Batch{Deltas: map[string]Delta{"p-1": {Score: 3, Events: 2}}, LastSeq: 2}); err != nil {
			t.Fatal(err)
		}
		for _, d := range []int{1, 2, 5} {
			if _, err := r.js.Publish(t.Context(), Subject("p-1"), fmt.Appendf(nil, `{"profile_id":"p-1","kind":"like","delta":%d}`, d)); err != nil {
				t.Fatal(err)
			}
		}
		r.run(t, 1)
		r.waitForScores(t, map[string]int64{"p-1": 8}) // 3 committed + 5; 1 and 2 skipped
	})
}

func TestConsumerDeadLettersBadEvents(t *testing.T) {
	backends.Each(t, func(t *testing.T, backend dbtest.Backend) {
		r := newRigOn(t, backend, 2)
		r.run(t, 2)
		bad := map[string]string{
			ReasonNotJSON:      `like`,
			ReasonUnknownField: `{"profile_id":"p-1","kind":"like","delta":1,"extra":true}`,
			ReasonBadProfile:   `{"kind":"like","delta":1}`,
			ReasonBadDelta:     `{"profile_id":"p-1","kind":"like","delta":0.5}`,
			ReasonBadKind:      `{"profile_id":"p-1","delta":1}`,
			// too_large: the stream's max message size refuses such an
			// event at publish (TestStreamIsConfiguredDeliberately); the
			// decoder's own check is in TestDecode.
		}
		dlq, err := r.js.CreateOrUpdateConsumer(t.Context(), DLQStreamName, jetstream.ConsumerConfig{AckPolicy: jetstream.AckNonePolicy})
		if err != nil {
			t.Fatal(err)
		}
		for _, payload := range bad {
			msg := &nats.Msg{Subject: Subject("p-1"), Data: []byte(payload), Header: nats.Header{"Dtid": {"d-bad"}}}
			if _, err := r.js.PublishMsg(t.Context(), msg); err != nil {
				t.Fatal(err)
			}
		}
		// A good event after the bad ones proves they did not stall the shard.
		if _, err := r.js.Publish(t.Context(), Subject("p-1"), []byte(`{"profile_id":"p-1","kind":"like","delta":4}`)); err != nil {
			t.Fatal(err)
		}
		r.waitForScores(t, map[string]int64{"p-1": 4})

		batch, err := dlq.Fetch(len(bad), jetstream.FetchMaxWait(10*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for m := range batch.Messages() {
			reason := m.Subject()[len(DLQPrefix):]
			got[reason] = true
			if string(m.Data()) != bad[reason] {
				t.Errorf("DLQ %s payload = %q, want the original %q", reason, m.Data(), bad[reason])
			}
			if m.Headers().Get("Sagatrace-Error") == "" || m.Headers().Get("Dtid") != "d-bad" {
				t.Errorf("DLQ %s headers = %v, want the original headers plus the error", reason, m.Headers())
			}
		}
		for reason := range bad {
			if !got[reason] {
				t.Errorf("no DLQ message for %s", reason)
			}
		}
	})
}
