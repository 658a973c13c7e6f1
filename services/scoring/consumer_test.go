package scoring

import (
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

func TestConsumerStoresExactSums(t *testing.T) {
	const partitions = 4
	eachRig(t, partitions, func(t *testing.T, r *rig) {
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
	eachRig(t, 1, func(t *testing.T, r *rig) {
		// A previous run committed up to sequence 2 but died before acking.
		if err := r.store.CommitBatch(t.Context(), &Batch{Deltas: map[string]Delta{"p-1": {Score: 3, Events: 2}}, LastSeq: 2}); err != nil {
			t.Fatal(err)
		}
		for _, d := range []int64{1, 2, 5} {
			r.publishLike(t, "p-1", d)
		}
		r.run(t, 1)
		r.waitForScores(t, map[string]int64{"p-1": 8}) // 3 committed + 5; 1 and 2 skipped
	})
}

func TestConsumerDeadLettersBadEvents(t *testing.T) {
	eachRig(t, 2, func(t *testing.T, r *rig) {
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
		dlq := r.deadLetters(t)
		for _, payload := range bad {
			msg := &nats.Msg{Subject: Subject("p-1"), Data: []byte(payload), Header: nats.Header{"Dtid": {"d-bad"}}}
			if _, err := r.js.PublishMsg(t.Context(), msg); err != nil {
				t.Fatal(err)
			}
		}
		// A good event after the bad ones proves they did not stall the shard.
		r.publishLike(t, "p-1", 4)
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
