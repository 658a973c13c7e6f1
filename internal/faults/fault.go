// Package faults is the fault injection of sagatrace's failure drills. A
// plan maps an operation ("payment.charge") to a fault ("transient:2"); it
// travels with every hop of a saga in the X-Sagatrace-Faults header, with
// the hop's attempt number in X-Sagatrace-Attempt, and whoever performs the
// operation applies it — the payment and order services, or the saga worker
// for scoring.publish — but only where faults were enabled: production must
// not let a header break payments.
package faults

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Kind names what a fault does to an operation.
type Kind string

// The fault kinds.
const (
	// Error fails the operation for good: a charge is declined, an order
	// rejected, a publish refused. A compensation (refund, cancel) is never refused
	// for good; there it means "unavailable", so the saga retries, then parks.
	Error Kind = "error"
	// Transient fails the operation, retryably (503), while the caller's
	// attempt is at most N: "transient:2" fails twice, then succeeds.
	Transient Kind = "transient"
	// Latency delays the operation by D before it runs: "latency:250ms".
	Latency Kind = "latency"
	// Timeout never answers in time: the operation does not run, and the
	// answer is held until the caller gives up (at most MaxHold).
	Timeout Kind = "timeout"
	// CrashAfterCommit lets the operation commit, then fails the answer as a
	// crash would (a 500 without a body). A retry finds the committed write
	// through its idempotency key and is answered normally.
	CrashAfterCommit Kind = "crash-after-commit"
)

// Bounds of the parameters, so a typo cannot hang a service for hours.
const (
	MaxTransient = 100
	MaxLatency   = time.Minute
	// MaxHold bounds a Timeout fault for a caller that never gives up: far
	// beyond any activity's start-to-close timeout, short enough that a
	// curl without --max-time still gets an answer.
	MaxHold = 2 * time.Minute
)

// Fault is one parsed fault. The zero value is no fault.
type Fault struct {
	Kind Kind
	// Attempts is N of transient:N.
	Attempts int
	// Delay is D of latency:D.
	Delay time.Duration
}

// None reports whether f injects nothing.
func (f Fault) None() bool { return f.Kind == "" }

// String renders f as it is written in a plan.
func (f Fault) String() string {
	switch f.Kind {
	case Transient:
		return string(f.Kind) + ":" + strconv.Itoa(f.Attempts)
	case Latency:
		return string(f.Kind) + ":" + f.Delay.String()
	}
	return string(f.Kind)
}

// ParseFault reads one fault: error, transient:N, latency:D, timeout or
// crash-after-commit. Anything else is an error that names the kinds, so a
// drill with a typo fails instead of silently injecting nothing.
func ParseFault(s string) (Fault, error) {
	kind, param, hasParam := strings.Cut(strings.TrimSpace(s), ":")
	f := Fault{Kind: Kind(kind)}
	switch f.Kind {
	case Error, Timeout, CrashAfterCommit:
		if hasParam {
			return Fault{}, fmt.Errorf("fault %q takes no parameter", kind)
		}
	case Transient:
		n, err := strconv.Atoi(param)
		if !hasParam || err != nil || n < 1 || n > MaxTransient {
			return Fault{}, fmt.Errorf("fault %q: want transient:N with N from 1 to %d", s, MaxTransient)
		}
		f.Attempts = n
	case Latency:
		d, err := time.ParseDuration(param)
		if !hasParam || err != nil || d <= 0 || d > MaxLatency {
			return Fault{}, fmt.Errorf("fault %q: want latency:D with a duration D up to %s, e.g. latency:250ms", s, MaxLatency)
		}
		f.Delay = d
	default:
		return Fault{}, errors.New(unknownKind(s))
	}
	return f, nil
}

func unknownKind(s string) string {
	return fmt.Sprintf("unknown fault kind %q (want error, transient:N, latency:D, timeout or crash-after-commit)", s)
}
