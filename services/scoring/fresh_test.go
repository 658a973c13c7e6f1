package scoring

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/sagatrace/sagatrace/internal/auth"
	"github.com/sagatrace/sagatrace/internal/database/dbtest"
	"github.com/sagatrace/sagatrace/internal/telemetry"
)

// A fresh read while a batch is committed but its partition has not yet
// heard so (the flusher is held right after the commit) must count the
// batch once: from the store, not again from cold.
func TestFreshReadCountsABatchOnceWhileItCommits(t *testing.T) {
	backends.Each(t, func(t *testing.T, backend dbtest.Backend) {
		r := newRigOn(t, backend, 1)
		c, err := NewConsumer(r.js, r.store, ConsumerConfig{PartitionCount: 1, Flush: FlushPolicy{Interval: 50 * time.Millisecond}},
			noop.NewTracerProvider(), telemetry.Propagator(), slog.New(slog.DiscardHandler), prometheus.NewRegistry())
		if err != nil {
			t.Fatal(err)
		}
		// Hold the first flush right after its commit.
		committed, release := make(chan struct{}), make(chan struct{})
		var held atomic.Bool
		c.hooks = flushHooks{afterCommit: func(int) {
			if held.CompareAndSwap(false, true) {
				committed <- struct{}{}
				<-release
			}
		}}
		// In the stream before the consumer starts, so that one pull takes
		// all three into the first batch.
		for range 3 {
			if _, err := r.js.Publish(t.Context(), Subject("p-fresh"), []byte(`{"profile_id":"p-fresh","kind":"like","delta":5}`)); err != nil {
				t.Fatal(err)
			}
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- c.Run(ctx) }()
		t.Cleanup(func() { cancel(); <-done })
		api, err := NewServer(ServerConfig{Auth: auth.Config{Disabled: true}}, r.store, c, noop.NewTracerProvider(), telemetry.Propagator(), slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(api.Handler())
		defer srv.Close()

		select {
		case <-committed: // the batch is in the store; cold still holds it
		case <-time.After(30 * time.Second):
			t.Fatal("no flush committed within 30 s")
		}
		var view ScoreView
		code := get(t, srv.URL+"/v1/scores/p-fresh?fresh=true", &view)
		close(release)
		if code != 200 || view.Score.Score != 15 || view.Events != 3 {
			t.Errorf("fresh read during the commit = %d, score %d from %d events (pending %+v); want 15 from 3",
				code, view.Score.Score, view.Events, view.Pending)
		}
	})
}
