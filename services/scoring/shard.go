package scoring

import (
	"go.opentelemetry.io/otel/trace"
)

// DefaultMaxLinks bounds the span links one flush span carries: a trace
// backend refuses or truncates spans with thousands of links.
const DefaultMaxLinks = 128

// Batch is what a swap hands to the flusher: the deltas of the events
// applied since the last swap, and the stream sequence they reach.
type Batch struct {
	Partition int
	Deltas    map[string]Delta
	Events    int
	// FirstSeq and LastSeq bound the stream sequences in the batch.
	FirstSeq, LastSeq uint64
	// After is the watermark the batch continues: the store's offset must
	// still be After when the batch commits, or another instance wrote it.
	After uint64
	// Links point at the consume spans of the traced events in the batch.
	Links []trace.Link
	// DroppedLinks counts traced events beyond the shard's link bound.
	DroppedLinks int
	// Poisoned lists the profiles whose rows the store refused for good
	// and kept in scoring_poison instead; set by Store.CommitBatch.
	Poisoned []string
}

// Shard folds one partition's events into a hot map while the previous
// batch, cold, is being written. One goroutine owns a shard: nothing in it
// is locked, and nothing in it is shared except cold, which the flusher
// only reads while it is in flight.
type Shard struct {
	partition int
	// maxKeys and maxEvents are the flush policy's size bounds.
	maxKeys, maxEvents int
	maxLinks           int
	hot                Batch
	cold               *Batch // in flight, or nil
	spare              map[string]Delta
	// watermark is the last stream sequence committed to the store.
	watermark uint64
}

// NewShard returns a shard whose store holds everything up to watermark;
// policy's size bounds say when it is Full, and maxLinks bounds the links
// of a batch.
func NewShard(partition int, watermark uint64, policy FlushPolicy, maxLinks int) *Shard {
	s := &Shard{partition: partition, maxKeys: policy.MaxKeys, maxEvents: policy.MaxEvents, maxLinks: maxLinks, watermark: watermark}
	s.hot = s.newBatch()
	return s
}

func (s *Shard) newBatch() Batch {
	deltas := s.spare
	s.spare = nil
	if deltas == nil {
		deltas = make(map[string]Delta, 1024)
	}
	return Batch{Partition: s.partition, Deltas: deltas}
}

// Watermark is the last stream sequence the store holds for this shard.
func (s *Shard) Watermark() uint64 { return s.watermark }

// NextSeq is the stream sequence after the newest one the shard holds,
// committed or not: where reading resumes.
func (s *Shard) NextSeq() uint64 {
	last := s.watermark
	if s.cold != nil {
		last = max(last, s.cold.LastSeq)
	}
	if s.hot.Events > 0 {
		last = max(last, s.hot.LastSeq)
	}
	return last + 1
}

// Seen reports whether seq is already in the store or in a batch: a
// redelivery after a crash or an AckWait expiry, to be skipped.
func (s *Shard) Seen(seq uint64) bool {
	if seq <= s.watermark {
		return true
	}
	if s.cold != nil && seq <= s.cold.LastSeq {
		return true
	}
	return s.hot.Events > 0 && seq <= s.hot.LastSeq
}

// Apply adds one event at stream sequence seq to hot. link, when valid,
// is the event's consume span, for the flush span to link to. An event
// whose sequence the shard has seen is ignored and Apply returns false.
func (s *Shard) Apply(ev Event, seq uint64, link trace.SpanContext) bool {
	if !s.Advance(seq) {
		return false
	}
	d := s.hot.Deltas[ev.ProfileID]
	d.Score += ev.Delta
	d.Events++
	if ev.DTID != "" {
		d.LastDTID = ev.DTID
	}
	s.hot.Deltas[ev.ProfileID] = d
	if link.IsValid() {
		if len(s.hot.Links) < s.maxLinks {
			s.hot.Links = append(s.hot.Links, trace.Link{SpanContext: link})
		} else {
			s.hot.DroppedLinks++
		}
	}
	return true
}

// Advance moves hot past seq without changing a score: for events that went
// to the dead-letter queue, whose offset must still be committed.
func (s *Shard) Advance(seq uint64) bool {
	if s.Seen(seq) {
		return false
	}
	if s.hot.Events == 0 {
		s.hot.FirstSeq = seq
	}
	s.hot.LastSeq = seq
	s.hot.Events++
	return true
}

// Full reports whether hot reached a bound and should be swapped now.
func (s *Shard) Full() bool {
	return len(s.hot.Deltas) >= s.maxKeys || s.hot.Events >= s.maxEvents
}

// Flushing reports whether a batch is in flight.
func (s *Shard) Flushing() bool { return s.cold != nil }

// Swap turns hot into the in-flight batch and starts a new hot. It returns
// nil when there is nothing to flush or a flush is already in flight: at
// most one per shard, so batches commit in sequence order.
func (s *Shard) Swap() *Batch {
	if s.cold != nil || s.hot.Events == 0 {
		return nil
	}
	b := s.hot
	b.After = s.watermark
	s.cold = &b
	s.hot = s.newBatch()
	return s.cold
}

// MarkCommitted records that the in-flight batch is in the store: the
// watermark moves to its last sequence, and its map is kept for reuse.
func (s *Shard) MarkCommitted() {
	if s.cold == nil {
		return
	}
	s.watermark = s.cold.LastSeq
	clear(s.cold.Deltas)
	s.spare = s.cold.Deltas
	s.cold = nil
}

// PendingPart is what one batch, hot or cold, holds for a profile, and
// the last stream sequence of the batch when it was read.
type PendingPart struct {
	LastSeq uint64
	Delta   Delta
}

// Pending is what hot and cold hold for a profile, batch by batch: a
// batch commits whole, so the stored offset says which parts the store
// already has.
type Pending []PendingPart

// Above returns the sum of the parts the store does not hold yet when its
// offset is offset. A part whose batch grew after it was read still
// commits whole, so a committed part is skipped whole too.
func (p Pending) Above(offset uint64) Delta {
	var d Delta
	for _, part := range p {
		if part.LastSeq > offset {
			d.Score += part.Delta.Score
			d.Events += part.Delta.Events
		}
	}
	return d
}

// Pending returns what hot and cold hold for profile: cold, then hot.
func (s *Shard) Pending(profile string) Pending {
	var p Pending
	if s.cold != nil {
		p = append(p, PendingPart{LastSeq: s.cold.LastSeq, Delta: s.cold.Deltas[profile]})
	}
	if s.hot.Events > 0 {
		p = append(p, PendingPart{LastSeq: s.hot.LastSeq, Delta: s.hot.Deltas[profile]})
	}
	return p
}
