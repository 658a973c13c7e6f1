package scoring

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// Changing the partition count keeps the sums exact across the switch, in
// both directions, and refuses while an instance runs, while events are
// still published, or while a partition holds events not scored yet.
func TestRepartitionKeepsTheSumsExact(t *testing.T) {
	r := newRig(t, 4)
	ctx := t.Context()
	want := map[string]int64{}
	publish := func(t *testing.T, round, events int) {
		t.Helper()
		for i := range events {
			profile := fmt.Sprintf("p-%d", i%40)
			delta := int64(round*10 + 1)
			if _, err := r.js.Publish(ctx, Subject(profile), []byte(fmt.Sprintf(`{"profile_id":%q,"kind":"k","delta":%d}`, profile, delta))); err != nil {
				t.Fatal(err)
			}
			want[profile] += delta
		}
	}
	// scoreWith runs one instance with n partitions until every sum so far
	// is committed, then stops it (gracefully: it leaves the membership).
	scoreWith := func(t *testing.T, n int) {
		t.Helper()
		stop := runConsumer(t, r.newConsumer(t, ConsumerConfig{PartitionCount: n, Flush: FlushPolicy{Interval: 50 * time.Millisecond}}, consumerDeps{}))
		r.waitForScores(t, want)
		if err := stop(); err != nil {
			t.Fatalf("consumer with %d partitions: %v", n, err)
		}
	}
	repartition := func(to int) (Repartitioned, error) {
		return Repartition(ctx, r.js, r.store, to, 200*time.Millisecond)
	}
	refused := func(t *testing.T, to int, why string) {
		t.Helper()
		if _, err := repartition(to); err == nil || !strings.Contains(err.Error(), why) {
			t.Fatalf("Repartition(%d) = %v, want a refusal saying %q", to, err, why)
		}
		if n := partitionsNow(t, r); n != 4 && n != 2 && n != 8 {
			t.Fatalf("stream at %d partitions after a refusal", n)
		}
	}

	publish(t, 1, 400)
	scoreWith(t, 4)

	t.Run("refused_while_an_instance_runs", func(t *testing.T) {
		c := r.newConsumer(t, ConsumerConfig{PartitionCount: 4}, consumerDeps{})
		stop := runConsumer(t, c)
		waitFor(t, 10*time.Second, "the instance to run its partitions", func() bool { return len(c.Running()) > 0 })
		refused(t, 2, "still running")
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("refused_while_events_are_not_scored", func(t *testing.T) {
		publish(t, 2, 40)
		refused(t, 2, "not scored yet")
		scoreWith(t, 4)
	})
	t.Run("refused_while_events_are_published", func(t *testing.T) {
		stop := make(chan struct{})
		published := make(chan struct{})
		go func() {
			defer close(published)
			for {
				select {
				case <-stop:
					return
				default:
				}
				_, _ = r.js.Publish(ctx, Subject("busy"), []byte(`{"profile_id":"busy","kind":"k","delta":0}`))
				time.Sleep(10 * time.Millisecond)
			}
		}()
		refused(t, 2, "still being published")
		close(stop)
		<-published
		want["busy"] = 0 // its events carry no delta, but they are scored like any other
		scoreWith(t, 4)
	})
	for _, to := range []int{2, 8} {
		t.Run(fmt.Sprintf("switch_to_%d", to), func(t *testing.T) {
			from := partitionsNow(t, r)
			got, err := repartition(to)
			if err != nil {
				t.Fatal(err)
			}
			if got.From != from || got.To != to || partitionsNow(t, r) != to {
				t.Fatalf("Repartition = %+v, stream at %d partitions; want %d → %d", got, partitionsNow(t, r), from, to)
			}
			publish(t, 3+to, 400)
			scoreWith(t, to)
		})
	}
	t.Run("same_count_is_nothing_to_do", func(t *testing.T) {
		if got, err := repartition(8); err != nil || got.From != 8 || got.To != 8 {
			t.Fatalf("Repartition(8) on 8 partitions = %+v, %v", got, err)
		}
	})
}

func partitionsNow(t *testing.T, r *rig) int {
	t.Helper()
	s, err := r.js.Stream(t.Context(), StreamName)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	n, ok := partitionsOf(info.Config)
	if !ok {
		t.Fatal("the stream lost its partition count")
	}
	return n
}
