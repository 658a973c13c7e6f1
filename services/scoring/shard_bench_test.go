package scoring

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"
)

// benchEvents returns n events over profiles keys, uniform or Zipf-skewed.
func benchEvents(n, profiles int, zipf bool) []Event {
	rng := rand.New(rand.NewPCG(1, 2))
	next := func() int { return rng.IntN(profiles) }
	if zipf {
		z := rand.NewZipf(rng, 1.1, 1, uint64(profiles-1))
		next = func() int { return int(z.Uint64()) }
	}
	out := make([]Event, n)
	for i := range out {
		out[i] = Event{ProfileID: "p-" + strconv.Itoa(next()), Kind: "like", Delta: 1}
	}
	return out
}

// BenchmarkApply compares the shard apply path — one goroutine per
// partition, each owning its map, no locks — with the obvious baseline: one
// map behind a mutex, applied to by as many goroutines. Same events, same
// number of goroutines (one per core); events/s is the figure to compare.
func BenchmarkApply(b *testing.B) {
	const profiles = 10_000
	workers := runtime.GOMAXPROCS(0)
	for _, dist := range []string{"uniform", "zipf"} {
		events := benchEvents(1<<20, profiles, dist == "zipf")
		b.Run("mutex_map/"+dist, func(b *testing.B) {
			var mu sync.Mutex
			scores := map[string]Delta{}
			runSplit(b, workers, events, func(_ int, part []Event) {
				for _, ev := range part {
					mu.Lock()
					d := scores[ev.ProfileID]
					d.Score += ev.Delta
					d.Events++
					scores[ev.ProfileID] = d
					mu.Unlock()
				}
			}, func(ev Event, w int) int { return w })
		})
		b.Run("shards/"+dist, func(b *testing.B) {
			shards := make([]*Shard, workers)
			for i := range shards {
				shards[i] = NewShard(i, 0, FlushPolicy{MaxKeys: 1 << 30, MaxEvents: 1 << 30}, DefaultMaxLinks)
			}
			seqs := make([]uint64, workers)
			runSplit(b, workers, events, func(w int, part []Event) {
				s := shards[w]
				for _, ev := range part {
					seqs[w]++
					s.Apply(ev, seqs[w], trace.SpanContext{})
				}
			}, func(ev Event, _ int) int { return PartitionOf(ev.ProfileID, workers) })
		})
	}
}

// runSplit applies b.N events with `workers` goroutines. route picks the
// worker of an event: round-robin for the mutex baseline, the profile's
// partition for shards (as NATS routes them).
func runSplit(b *testing.B, workers int, events []Event, apply func(w int, part []Event), route func(ev Event, i int) int) {
	parts := make([][]Event, workers)
	for i := 0; i < b.N; i++ {
		ev := events[i%len(events)]
		w := route(ev, i%workers)
		parts[w] = append(parts[w], ev)
	}
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() { apply(w, parts[w]) })
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
}

// BenchmarkWriteAmplification reports rows written per flush against events
// applied per flush: the database work batching saves.
func BenchmarkWriteAmplification(b *testing.B) {
	for _, dist := range []string{"uniform", "zipf"} {
		for _, perFlush := range []int{1_000, 8_192} {
			b.Run(fmt.Sprintf("%s/events_per_flush=%d", dist, perFlush), func(b *testing.B) {
				events := benchEvents(1<<20, 10_000, dist == "zipf")
				s := NewShard(0, 0, FlushPolicy{MaxKeys: 1 << 30, MaxEvents: perFlush}, DefaultMaxLinks)
				var rows, flushes int
				for i := 0; b.Loop(); i++ {
					s.Apply(events[i%len(events)], uint64(i+1), trace.SpanContext{})
					if s.Full() {
						rows += len(s.Swap().Deltas)
						s.MarkCommitted()
						flushes++
					}
				}
				if flushes > 0 {
					b.ReportMetric(float64(rows)/float64(flushes), "rows/flush")
					b.ReportMetric(float64(rows)/float64(flushes*perFlush), "rows/event")
				}
			})
		}
	}
}
