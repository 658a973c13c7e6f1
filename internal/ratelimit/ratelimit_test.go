package ratelimit

import (
	"fmt"
	"testing"
	"time"
)

// clock is a settable time source for the limiter.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newTestLimiter(t *testing.T, cfg Config) (*Limiter, *clock) {
	t.Helper()
	l, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l.now = c.now
	return l, c
}

func TestAllowIsPerCallerWithRetryAfter(t *testing.T) {
	l, c := newTestLimiter(t, Config{Rate: 2, Burst: 3})
	for i := range 3 {
		if ok, _ := l.Allow("worker"); !ok {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	ok, retry := l.Allow("worker")
	if ok || retry <= 0 || retry > 500*time.Millisecond {
		t.Fatalf("4th request: ok=%v retry=%s, want refused with ≤ 0.5 s (rate 2/s)", ok, retry)
	}
	if ok, _ := l.Allow("console"); !ok {
		t.Error("another caller was refused because of the first one's burst")
	}
	// A refused request took no token: after retry, exactly one more passes.
	c.t = c.t.Add(retry)
	if ok, _ := l.Allow("worker"); !ok {
		t.Error("refused after waiting Retry-After")
	}
	if ok, _ := l.Allow("worker"); ok {
		t.Error("two requests passed after one token's wait")
	}
}

func TestIdleCallersAreDropped(t *testing.T) {
	l, c := newTestLimiter(t, Config{Rate: 10, Burst: 10})
	for i := range 50 {
		l.Allow(fmt.Sprintf("caller-%d", i))
	}
	if n := l.Len(); n != 50 {
		t.Fatalf("buckets = %d, want 50", n)
	}
	c.t = c.t.Add(2 * time.Minute) // every bucket is full again
	l.Allow("late")
	if n := l.Len(); n != 1 {
		t.Errorf("buckets after the idle sweep = %d, want 1", n)
	}
}

func TestMaxCallersBoundsTheMap(t *testing.T) {
	l, c := newTestLimiter(t, Config{Rate: 1, Burst: 5, MaxCallers: 3})
	for i := range 100 {
		c.t = c.t.Add(time.Millisecond)
		if ok, _ := l.Allow(fmt.Sprintf("caller-%d", i)); !ok {
			t.Fatalf("a new caller's first request was refused")
		}
		if n := l.Len(); n > 3 {
			t.Fatalf("buckets = %d after %d callers, want at most 3", n, i+1)
		}
	}
	// The most recent callers are the ones kept.
	for range 4 {
		l.Allow("caller-99")
	}
	if ok, _ := l.Allow("caller-99"); ok {
		t.Error("caller-99's bucket was evicted although it was the most recent")
	}
}

func TestConfig(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr bool
	}{
		{name: "zero_takes_defaults", cfg: Config{}},
		{name: "explicit", cfg: Config{Rate: 0.5, Burst: 1, MaxCallers: 1}},
		{name: "negative_rate", cfg: Config{Rate: -1}, wantErr: true},
		{name: "negative_burst", cfg: Config{Burst: -1}, wantErr: true},
		{name: "negative_callers", cfg: Config{MaxCallers: -1}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := New(tt.cfg)
			if (err != nil) != tt.wantErr {
				t.Fatalf("New = %v, want error %v", err, tt.wantErr)
			}
			if err == nil && (l.Config().Rate <= 0 || l.Config().Burst <= 0 || l.Config().MaxCallers <= 0) {
				t.Errorf("config in force %+v has a zero limit", l.Config())
			}
		})
	}
}

func TestRetryAfterSeconds(t *testing.T) {
	for d, want := range map[time.Duration]int{0: 1, time.Millisecond: 1, time.Second: 1, 1500 * time.Millisecond: 2, 3 * time.Second: 3} {
		if got := RetryAfterSeconds(d); got != want {
			t.Errorf("RetryAfterSeconds(%s) = %d, want %d", d, got, want)
		}
	}
}
