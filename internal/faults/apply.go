package faults

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Errors of the faults that act before an operation runs. Whoever applies
// them maps them to its own failure: a service answers 503 (or 400 for
// ErrNoAttempt), the worker fails the activity attempt retryably.
var (
	// ErrTransient is an injected transient failure.
	ErrTransient = errors.New("injected transient failure")
	// ErrTimeout is an injected timeout whose caller never gave up.
	ErrTimeout = errors.New("injected timeout")
	// ErrNoAttempt means a transient fault cannot be applied: the request
	// did not say which attempt it is (X-Sagatrace-Attempt).
	ErrNoAttempt = errors.New("a transient fault needs the attempt number (" + HeaderAttempt + ")")
)

// Before applies the part of f that acts before the operation runs, for
// the caller's attempt (from 1), and returns nil when the operation may go
// on. Latency sleeps; Timeout holds until ctx is done (at most MaxHold);
// Transient fails while attempt ≤ N. Error and CrashAfterCommit depend on
// the operation, so the operation applies them itself. Sleeping honours
// ctx: a caller that gave up is not kept waiting, and its error is ctx's.
func (f Fault) Before(ctx context.Context, attempt int) error {
	switch f.Kind {
	case Transient:
		if attempt < 1 {
			return ErrNoAttempt
		}
		if attempt <= f.Attempts {
			return fmt.Errorf("%w: attempt %d of the first %d that fail", ErrTransient, attempt, f.Attempts)
		}
	case Latency:
		if err := sleep(ctx, f.Delay); err != nil {
			return fmt.Errorf("injected latency of %s cut short: %w", f.Delay, err)
		}
	case Timeout:
		if err := sleep(ctx, MaxHold); err != nil {
			return fmt.Errorf("%w: the caller gave up: %w", ErrTimeout, err)
		}
		return fmt.Errorf("%w: held for %s and the caller still waited", ErrTimeout, MaxHold)
	}
	return nil
}

// sleep waits d or until ctx is done, whichever comes first.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
