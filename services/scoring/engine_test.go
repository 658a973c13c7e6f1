package scoring

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/sagatrace/sagatrace/internal/auth"
	"github.com/sagatrace/sagatrace/internal/telemetry"
)

func TestCommitBatchRefusesAMovedOffset(t *testing.T) {
	eachRig(t, 1, func(t *testing.T, r *rig) {
		ctx := t.Context()
		commit := func(after, last uint64, delta int64) error {
			return r.store.CommitBatch(ctx, &Batch{After: after, LastSeq: last, Deltas: map[string]Delta{"p": {Score: delta, Events: 1}}})
		}
		if err := commit(0, 5, 1); err != nil {
			t.Fatal(err)
		}
		// A second owner that also started from 0 must not count its batch.
		if err := commit(0, 7, 100); !errors.Is(err, ErrOffsetMoved) {
			t.Fatalf("commit over a moved offset = %v, want ErrOffsetMoved", err)
		}
		if err := commit(5, 7, 2); err != nil {
			t.Fatal(err)
		}
		sc, err := r.store.Score(ctx, "p")
		if err != nil || sc.Score != 3 || sc.Events != 2 {
			t.Fatalf("score = %+v, %v; want 3 from 2 events (the refused batch left nothing)", sc, err)
		}
		if off, _ := r.store.Offset(ctx, 0); off != 7 {
			t.Errorf("offset = %d, want 7", off)
		}
	})
}

func TestFreshScoresIncludeWhatIsNotCommittedYet(t *testing.T) {
	eachRig(t, 2, func(t *testing.T, r *rig) {
		c := r.startConsumer(t, ConsumerConfig{PartitionCount: 2, Flush: FlushPolicy{Interval: 10 * time.Second}}, consumerDeps{})
		for range 3 {
			if err := r.nc.Publish(Subject("p-fresh"), []byte(`{"profile_id":"p-fresh","kind":"like","delta":5}`)); err != nil {
				t.Fatal(err)
			}
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			pending, owned, err := c.Pending(t.Context(), "p-fresh")
			d := pending.Above(0)
			if err != nil {
				t.Fatalf("Pending = %+v, owned %v, %v", d, owned, err)
			}
			if owned && d.Score == 15 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("pending score %d, want 15", d.Score)
			}
			time.Sleep(20 * time.Millisecond)
		}
		url := serveScores(t, r.store, c)
		if resp := get(t, url+"/v1/scores/p-fresh", nil); resp != http.StatusNotFound {
			t.Errorf("stored score answered %d before any flush, want 404", resp)
		}
		var view ScoreView
		if resp := get(t, url+"/v1/scores/p-fresh?fresh=true", &view); resp != http.StatusOK || view.Score.Score != 15 || view.Pending == nil || !view.Pending.Owned {
			t.Errorf("fresh score = %d %+v", resp, view)
		}
	})
}

// A fresh read while a batch is committed but its partition has not yet
// heard so (the flusher is held right after the commit) must count the
// batch once: from the store, not again from cold.
func TestFreshReadCountsABatchOnceWhileItCommits(t *testing.T) {
	eachRig(t, 1, func(t *testing.T, r *rig) {
		c := r.newConsumer(t, ConsumerConfig{PartitionCount: 1, Flush: FlushPolicy{Interval: 50 * time.Millisecond}}, consumerDeps{})
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
			r.publishLike(t, "p-fresh", 5)
		}
		runConsumer(t, c)
		url := serveScores(t, r.store, c)

		select {
		case <-committed: // the batch is in the store; cold still holds it
		case <-time.After(30 * time.Second):
			t.Fatal("no flush committed within 30 s")
		}
		var view ScoreView
		code := get(t, url+"/v1/scores/p-fresh?fresh=true", &view)
		close(release)
		if code != 200 || view.Score.Score != 15 || view.Events != 3 {
			t.Errorf("fresh read during the commit = %d, score %d from %d events (pending %+v); want 15 from 3",
				code, view.Score.Score, view.Events, view.Pending)
		}
	})
}

// serveScores serves the scores API over store and c until the test ends
// and returns its URL. Authentication has its own tests (auth_test.go);
// these are about what ?fresh=true adds.
func serveScores(t *testing.T, store *Store, c *Consumer) string {
	t.Helper()
	api, err := NewServer(ServerConfig{Auth: auth.Config{Disabled: true}}, store, c, noop.NewTracerProvider(), telemetry.Propagator(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close)
	return srv.URL
}

// get GETs url and decodes a 200's body into out; it returns the status.
func get(t *testing.T, url string, out any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil && resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode
}

// A saga's event gets a consume span in the saga hop's trace, and the flush
// span links to it; untraced events get no span.
func TestTracedEventsAreLinkedFromTheFlush(t *testing.T) {
	eachRig(t, 1, func(t *testing.T, r *rig) {
		rec := tracetest.NewSpanRecorder()
		tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
		r.startConsumer(t, ConsumerConfig{PartitionCount: 1, Flush: FlushPolicy{Interval: 50 * time.Millisecond}}, consumerDeps{tp: tp})

		hopCtx, hop := tp.Tracer("test").Start(context.Background(), "scoring.publish")
		msg := &nats.Msg{Subject: Subject("p-t"), Data: []byte(`{"profile_id":"p-t","kind":"like","delta":1}`), Header: nats.Header{}}
		telemetry.Propagator().Inject(hopCtx, telemetry.NATSHeaderCarrier(msg.Header))
		hop.End()
		if _, err := r.js.PublishMsg(t.Context(), msg); err != nil {
			t.Fatal(err)
		}
		if err := r.nc.Publish(Subject("p-t"), []byte(`{"profile_id":"p-t","kind":"like","delta":1}`)); err != nil {
			t.Fatal(err)
		}
		r.waitForScores(t, map[string]int64{"p-t": 2})

		var process, flush []sdktrace.ReadOnlySpan
		deadline := time.Now().Add(5 * time.Second)
		for len(flush) == 0 && time.Now().Before(deadline) {
			process, flush = nil, nil
			for _, s := range rec.Ended() {
				switch s.Name() {
				case "process scoring.events.*":
					process = append(process, s)
				case "scoring.flush":
					flush = append(flush, s)
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
		if len(process) != 1 {
			t.Fatalf("%d consume spans, want 1 (only the traced event)", len(process))
		}
		if process[0].SpanContext().TraceID() != hop.SpanContext().TraceID() {
			t.Error("consume span is not in the hop's trace")
		}
		linked := false
		for _, f := range flush {
			for _, l := range f.Links() {
				linked = linked || l.SpanContext.SpanID() == process[0].SpanContext().SpanID()
			}
		}
		if !linked {
			t.Error("no flush span links to the consume span")
		}
	})
}

// Two instances that own disjoint halves of the partitions split the
// stream between them and together count every event once.
func TestInstancesOwningDisjointPartitionsSplitTheStream(t *testing.T) {
	const partitions = 4
	eachRig(t, partitions, func(t *testing.T, r *rig) {
		for _, owned := range [][]int{{0, 1}, {2, 3}} {
			r.startConsumer(t, ConsumerConfig{PartitionCount: partitions, Partitions: owned, Flush: FlushPolicy{Interval: 100 * time.Millisecond}}, consumerDeps{})
		}
		want := map[string]int64{}
		for i := range 2000 {
			profile := fmt.Sprintf("p-%d", i%50)
			want[profile] += int64(i % 5)
			if err := r.nc.Publish(Subject(profile), fmt.Appendf(nil, `{"profile_id":%q,"kind":"k","delta":%d}`, profile, i%5)); err != nil {
				t.Fatal(err)
			}
		}
		r.waitForScores(t, want)
	})
}

func TestConsumerConfigRefusesBoundsThatCannotWork(t *testing.T) {
	tests := []struct {
		name string
		cfg  ConsumerConfig
	}{
		{"partition_outside_range", ConsumerConfig{PartitionCount: 4, Partitions: []int{4}}},
		{"key_bound_that_cannot_trigger", ConsumerConfig{Flush: FlushPolicy{MaxKeys: 100, MaxEvents: 10}}},
		{"negative_interval", ConsumerConfig{Flush: FlushPolicy{Interval: -time.Second}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.cfg.withDefaults(); err == nil {
				t.Fatalf("config %+v accepted", tt.cfg)
			}
		})
	}
}
