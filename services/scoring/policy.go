package scoring

import (
	"errors"
	"fmt"
	"time"
)

// FlushPolicy says when a shard swaps its hot batch out and writes it: at
// least every Interval while events flow, at once when hot reaches a size
// bound, and as soon as the partition goes quiet. Batching only pays while
// events flow; a quiet partition has nothing to gain by waiting.
type FlushPolicy struct {
	// Interval is the longest an applied event waits in hot while events
	// keep coming.
	Interval time.Duration
	// MaxEvents is how many events hot absorbs before it is swapped out
	// early: the bound on what one flush writes and on what a crash makes
	// the next owner read again.
	MaxEvents int
	// MaxKeys is how many distinct profiles hot holds before it is swapped
	// out early: the memory bound. A batch never has more keys than events,
	// so a MaxKeys at or above MaxEvents could never trigger; zero means
	// MaxEvents.
	MaxKeys int
	// Idle is how long a partition waits for a message before it writes
	// what it holds.
	Idle time.Duration
}

// DefaultFlushPolicy suits one partition of a firehose on a small machine.
func DefaultFlushPolicy() FlushPolicy {
	return FlushPolicy{Interval: time.Second, MaxEvents: 8_192, Idle: 50 * time.Millisecond}
}

// withDefaults fills zero fields from DefaultFlushPolicy and checks the
// bounds make sense together.
func (p FlushPolicy) withDefaults() (FlushPolicy, error) {
	def := DefaultFlushPolicy()
	p.Interval = orDefault(p.Interval, def.Interval)
	p.MaxEvents = orDefault(p.MaxEvents, def.MaxEvents)
	p.MaxKeys = orDefault(p.MaxKeys, p.MaxEvents)
	p.Idle = orDefault(p.Idle, def.Idle)
	var errs []error
	if p.Interval < 0 || p.Idle < 0 || p.MaxEvents < 0 || p.MaxKeys < 0 {
		errs = append(errs, fmt.Errorf("flush policy %+v: no bound may be negative", p))
	}
	if p.MaxKeys > p.MaxEvents {
		errs = append(errs, fmt.Errorf("flush policy: MaxKeys (%d) above MaxEvents (%d) can never trigger: a batch has at most one key per event", p.MaxKeys, p.MaxEvents))
	}
	return p, errors.Join(errs...)
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
