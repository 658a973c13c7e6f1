package scoring

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/sagatrace/sagatrace/internal/telemetry"
)

// BenchmarkDrain times the engine draining a backlog from a real JetStream
// into a real SQLite file; `sagatrace bench scoring` compares the same
// against natscli. Reported as events/s.
func BenchmarkDrain(b *testing.B) {
	const partitions = 16
	b.StopTimer()
	for range b.N {
		r := newBenchRig(b, partitions)
		const events = 100_000
		for i := range events {
			p := fmt.Sprintf("p-%d", i%10_000)
			if _, err := r.js.PublishAsync(Subject(p), fmt.Appendf(nil, `{"profile_id":%q,"kind":"like","delta":1}`, p)); err != nil {
				b.Fatal(err)
			}
		}
		<-r.js.PublishAsyncComplete()
		c, err := NewConsumer(r.js, r.store, ConsumerConfig{PartitionCount: partitions}, noop.NewTracerProvider(),
			telemetry.Propagator(), slog.New(slog.DiscardHandler), prometheus.NewRegistry())
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		b.StartTimer()
		start := time.Now()
		go func() { done <- c.Run(ctx) }()
		for {
			if n, _ := c.CommittedTotals(); n >= events {
				break
			}
			time.Sleep(time.Millisecond)
		}
		b.StopTimer()
		b.ReportMetric(events/time.Since(start).Seconds(), "events/s")
		cancel()
		<-done
	}
}
