package scoring

import (
	"testing"

	"go.opentelemetry.io/otel/trace"
)

func ev(profile string, delta int64) Event {
	return Event{ProfileID: profile, Kind: "like", Delta: delta}
}

func TestShardSkipsWhatItHasSeen(t *testing.T) {
	tests := []struct {
		name      string
		watermark uint64
		seqs      []uint64
		wantScore int64
		wantLast  uint64
	}{
		{name: "fresh_shard_applies_all", watermark: 0, seqs: []uint64{1, 2, 3}, wantScore: 3, wantLast: 3},
		{name: "at_or_below_watermark_skipped", watermark: 5, seqs: []uint64{4, 5, 6, 7}, wantScore: 2, wantLast: 7},
		{name: "redelivery_inside_hot_skipped", watermark: 0, seqs: []uint64{1, 2, 2, 1, 3}, wantScore: 3, wantLast: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewShard(0, tt.watermark, DefaultFlushPolicy(), DefaultMaxLinks)
			for _, seq := range tt.seqs {
				s.Apply(ev("p", 1), seq, trace.SpanContext{})
			}
			b := s.Swap()
			if b == nil {
				t.Fatal("nothing to swap")
			}
			if got := b.Deltas["p"].Score; got != tt.wantScore || b.LastSeq != tt.wantLast || b.After != tt.watermark {
				t.Errorf("batch score %d last %d after %d, want %d, %d, %d", got, b.LastSeq, b.After, tt.wantScore, tt.wantLast, tt.watermark)
			}
		})
	}
}

func TestShardSwapBatchesDistinctKeys(t *testing.T) {
	s := NewShard(3, 0, DefaultFlushPolicy(), DefaultMaxLinks)
	for i, e := range []Event{ev("a", 1), ev("b", 2), ev("a", 3), ev("a", -1)} {
		s.Apply(e, uint64(i+1), trace.SpanContext{})
	}
	b := s.Swap()
	want := map[string]Delta{"a": {Score: 3, Events: 3}, "b": {Score: 2, Events: 1}}
	if len(b.Deltas) != len(want) || b.Events != 4 || b.Partition != 3 || b.FirstSeq != 1 || b.LastSeq != 4 {
		t.Fatalf("batch = %+v", b)
	}
	for k, d := range want {
		if b.Deltas[k] != d {
			t.Errorf("delta %s = %+v, want %+v", k, b.Deltas[k], d)
		}
	}
}

// Hot keeps filling while cold is in flight; a second swap waits for the
// first commit, so batches commit in sequence order.
func TestShardOneFlushInFlight(t *testing.T) {
	s := NewShard(0, 0, DefaultFlushPolicy(), DefaultMaxLinks)
	s.Apply(ev("a", 1), 1, trace.SpanContext{})
	first := s.Swap()
	s.Apply(ev("a", 10), 2, trace.SpanContext{})
	if s.Swap() != nil {
		t.Fatal("second swap while the first is in flight")
	}
	if got := s.Pending("a").Above(0); got.Score != 11 || got.Events != 2 {
		t.Errorf("pending while flushing = %+v, want hot+cold 11 from 2 events", got)
	}
	// Once the store holds cold (offset 1), only hot is above it.
	if got := s.Pending("a").Above(first.LastSeq); got.Score != 10 || got.Events != 1 {
		t.Errorf("pending above the committed offset = %+v, want hot's 10 from 1 event", got)
	}
	s.MarkCommitted()
	if s.Watermark() != first.LastSeq {
		t.Errorf("watermark %d, want %d", s.Watermark(), first.LastSeq)
	}
	second := s.Swap()
	if second == nil || second.After != 1 || second.Deltas["a"].Score != 10 {
		t.Fatalf("second batch = %+v", second)
	}
	if s.Swap() != nil {
		t.Error("swap of an empty hot returned a batch")
	}
}

func TestShardBounds(t *testing.T) {
	tests := []struct {
		name     string
		cfg      FlushPolicy
		profiles []string
		wantFull bool
	}{
		{name: "below_bounds", cfg: FlushPolicy{MaxKeys: 3, MaxEvents: 10}, profiles: []string{"a", "b"}},
		{name: "key_bound", cfg: FlushPolicy{MaxKeys: 2, MaxEvents: 10}, profiles: []string{"a", "b"}, wantFull: true},
		{name: "event_bound", cfg: FlushPolicy{MaxKeys: 10, MaxEvents: 3}, profiles: []string{"a", "a", "a"}, wantFull: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewShard(0, 0, tt.cfg, DefaultMaxLinks)
			for i, p := range tt.profiles {
				s.Apply(ev(p, 1), uint64(i+1), trace.SpanContext{})
			}
			if s.Full() != tt.wantFull {
				t.Errorf("Full() = %v, want %v", s.Full(), tt.wantFull)
			}
		})
	}
}

func TestShardAdvanceMovesOffsetWithoutScore(t *testing.T) {
	s := NewShard(0, 0, DefaultFlushPolicy(), DefaultMaxLinks)
	s.Apply(ev("a", 1), 1, trace.SpanContext{})
	s.Advance(2) // a dead-lettered event
	b := s.Swap()
	if b.LastSeq != 2 || b.Events != 2 || len(b.Deltas) != 1 || b.Deltas["a"].Score != 1 {
		t.Errorf("batch = %+v, want offset 2 with only a's score", b)
	}
}

func TestShardBoundsLinks(t *testing.T) {
	s := NewShard(0, 0, FlushPolicy{MaxKeys: 10, MaxEvents: 10}, 2)
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1}, SpanID: trace.SpanID{1}, TraceFlags: trace.FlagsSampled})
	for seq := uint64(1); seq <= 3; seq++ {
		s.Apply(ev("a", 1), seq, sc)
	}
	s.Apply(ev("a", 1), 4, trace.SpanContext{}) // untraced: no link
	b := s.Swap()
	if len(b.Links) != 2 || b.DroppedLinks != 1 {
		t.Errorf("links %d dropped %d, want 2 and 1", len(b.Links), b.DroppedLinks)
	}
}
