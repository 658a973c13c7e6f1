package scoring

import (
	"fmt"
	"testing"
	"time"
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
		c := r.newConsumer(b, ConsumerConfig{PartitionCount: partitions}, consumerDeps{})
		b.StartTimer()
		start := time.Now()
		stop := runConsumer(b, c)
		for {
			if n, _ := c.CommittedTotals(); n >= events {
				break
			}
			time.Sleep(time.Millisecond)
		}
		b.StopTimer()
		b.ReportMetric(events/time.Since(start).Seconds(), "events/s")
		_ = stop()
	}
}
