// Package ratelimit keeps one token bucket (golang.org/x/time/rate) per
// caller, so one caller's burst cannot starve the others, in a map that
// cannot grow without bound: buckets idle long enough to be full again are
// dropped (losslessly: a new bucket starts full too), and at MaxCallers the
// least recently seen caller makes room for a new one.
package ratelimit

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Defaults, chosen so that the dev stack, the drills (50 sagas, 10 at a
// time) and `bench saga` (100 in flight, ~35 sagas/s on the reference
// machine, two writes per service per saga at most) never meet them: the
// saga worker is one caller for all of its sagas.
const (
	DefaultRate       = 200 // writes per second per caller, sustained
	DefaultBurst      = 400 // writes at once per caller
	DefaultMaxCallers = 10_000
)

// Config bounds each caller. Zero fields take the defaults.
type Config struct {
	// Rate is the sustained requests per second of one caller.
	Rate float64
	// Burst is how many requests one caller may send at once.
	Burst int
	// MaxCallers bounds the buckets kept at once.
	MaxCallers int
}

// Validate reports every problem of c at once.
func (c Config) Validate() error {
	var errs []error
	if c.Rate < 0 || math.IsNaN(c.Rate) || math.IsInf(c.Rate, 0) {
		errs = append(errs, fmt.Errorf("rate limit %v: want a positive number of requests per second (0: default %d)", c.Rate, DefaultRate))
	}
	if c.Burst < 0 {
		errs = append(errs, fmt.Errorf("rate burst %d: want 1 or more (0: default %d)", c.Burst, DefaultBurst))
	}
	if c.MaxCallers < 0 {
		errs = append(errs, fmt.Errorf("max callers %d: want 1 or more (0: default %d)", c.MaxCallers, DefaultMaxCallers))
	}
	return errors.Join(errs...)
}

func (c Config) withDefaults() Config {
	if c.Rate == 0 {
		c.Rate = DefaultRate
	}
	if c.Burst == 0 {
		c.Burst = DefaultBurst
	}
	if c.MaxCallers == 0 {
		c.MaxCallers = DefaultMaxCallers
	}
	return c
}

// Limiter holds one bucket per caller. It is safe for concurrent use.
type Limiter struct {
	cfg Config
	// idle is how long a bucket takes to fill up again: after that, it is
	// the same as a new one and may be dropped.
	idle time.Duration
	now  func() time.Time

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// New returns a limiter for cfg, which must be valid.
func New(cfg Config) (*Limiter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	idle := time.Duration(float64(cfg.Burst) / cfg.Rate * float64(time.Second))
	return &Limiter{cfg: cfg, idle: max(idle, time.Second), now: time.Now, buckets: map[string]*bucket{}}, nil
}

// Config returns the limits in force, defaults filled in.
func (l *Limiter) Config() Config { return l.cfg }

// Allow takes one token from caller's bucket. When the bucket is empty it
// takes nothing and returns false with how long until a token is there.
func (l *Limiter) Allow(caller string) (ok bool, retryAfter time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Sub(l.lastSweep) >= max(l.idle, time.Minute) {
		l.sweep(now)
	}
	b := l.buckets[caller]
	if b == nil {
		if len(l.buckets) >= l.cfg.MaxCallers {
			l.sweep(now)
		}
		if len(l.buckets) >= l.cfg.MaxCallers {
			l.evictOldest()
		}
		b = &bucket{lim: rate.NewLimiter(rate.Limit(l.cfg.Rate), l.cfg.Burst)}
		l.buckets[caller] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if !r.OK() {
		return false, time.Second
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now) // a refused request takes no token
		return false, d
	}
	return true, 0
}

// Len returns the number of buckets kept.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

// sweep drops the buckets idle long enough to be full again.
func (l *Limiter) sweep(now time.Time) {
	l.lastSweep = now
	for k, b := range l.buckets {
		if now.Sub(b.seen) >= l.idle {
			delete(l.buckets, k)
		}
	}
}

// evictOldest drops the least recently seen bucket: O(n), but only when
// MaxCallers callers were all active within the last refill time.
func (l *Limiter) evictOldest() {
	var oldest string
	var at time.Time
	for k, b := range l.buckets {
		if oldest == "" || b.seen.Before(at) {
			oldest, at = k, b.seen
		}
	}
	delete(l.buckets, oldest)
}

// RetryAfterSeconds renders d as a Retry-After value: whole seconds,
// rounded up, at least 1.
func RetryAfterSeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}
