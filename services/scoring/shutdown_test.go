package scoring

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
)

// A graceful stop under load writes what hot and cold hold: every event
// the shard took is in the store with its offset, so the next instance,
// which starts reading after that offset, redoes nothing that was applied.
func TestGracefulStopCommitsEverythingApplied(t *testing.T) {
	r := newRig(t, 1)
	// A long interval: while events flow, only the stop itself flushes what
	// arrived after the first events.
	reg := prometheus.NewRegistry()
	stop := runConsumer(t, r.newConsumer(t, ConsumerConfig{PartitionCount: 1, Flush: FlushPolicy{Interval: 10 * time.Second}}, consumerDeps{reg: reg}))

	// Publish on while the consumer stops, so the stop lands mid-stream.
	// (on a connection of its own, as a real publisher would be).
	pub, err := nats.Connect(r.nc.ConnectedUrl())
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	const events = 200_000
	published := make(chan error, 1)
	go func() {
		for i := range events {
			p := fmt.Sprintf("p-%d", i%50)
			if err := pub.Publish(Subject(p), []byte(`{"profile_id":"`+p+`","kind":"like","delta":1}`)); err != nil {
				published <- err
				return
			}
		}
		published <- pub.Flush()
	}()
	// Stop once the shard has taken events, however slow the machine: the
	// stop must land while events are in hot and more are arriving.
	waitFor(t, 30*time.Second, "the shard to take events", func() bool {
		return counterTotal(t, reg, "scoring_events_in_total") > 0
	})
	if err := stop(); err != nil {
		t.Fatalf("consumer stopped with %v", err)
	}
	if err := <-published; err != nil {
		t.Fatal(err)
	}

	offset, err := r.store.Offset(t.Context(), 0)
	if err != nil {
		t.Fatal(err)
	}
	// Every event taken into the shard was written: the stop flushed hot.
	taken := counterTotal(t, reg, "scoring_events_in_total")
	if taken == 0 || uint64(taken) != offset {
		t.Errorf("the shard took %v events, %d were committed; want all of them, and more than none", taken, offset)
	}
	var total int64
	for i := range 50 {
		s, err := r.store.Score(t.Context(), fmt.Sprintf("p-%d", i))
		if err == nil {
			total += s.Score
		}
	}
	if uint64(total) != offset {
		t.Errorf("stored scores add up to %d, but the offset says %d events were applied", total, offset)
	}
	t.Logf("stopped after applying %d of %d events", offset, events)
}

// A partition stopped before it read its offset has taken nothing, so its
// stop is a clean one. It used to report the read's "context canceled",
// and a consumer stopping while one of its partitions started returned an
// error from a graceful stop (seen once in a full test run).
func TestAPartitionStoppedBeforeItStartsStopsCleanly(t *testing.T) {
	eachRig(t, 4, func(t *testing.T, r *rig) {
		c := r.newConsumer(t, ConsumerConfig{PartitionCount: 4}, consumerDeps{})
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if err := newPartition(1, c.cfg, c.deps, slog.New(slog.DiscardHandler)).run(ctx); err != nil {
			t.Errorf("a partition stopped before it started = %v, want a clean stop", err)
		}
	})
}
