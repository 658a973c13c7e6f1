package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"
)

// AutoRetry is the automatic slow retry of a parked saga's compensation:
// a few minutes' outage of a payment processor parks every saga in flight,
// and each would otherwise wait for a person. While parked, the saga
// retries the failing compensation itself every Every — a whole budget of
// attempts each time — until For has passed since it first parked; then it
// waits for an operator alone. An operator may act at any time meanwhile.
type AutoRetry struct {
	// Every is the wait from a park to the next automatic retry; 0 turns
	// automatic retries off.
	Every time.Duration `json:"every"`
	// For bounds them: none starts later than For after the first park.
	For time.Duration `json:"for"`
}

// DefaultAutoRetry is the worker's default: every 10 minutes for a day.
func DefaultAutoRetry() AutoRetry { return AutoRetry{Every: 10 * time.Minute, For: 24 * time.Hour} }

// Validate reports every problem at once.
func (a AutoRetry) Validate() error {
	var errs []error
	if a.Every < 0 || a.For < 0 {
		errs = append(errs, fmt.Errorf("automatic retry every %s for %s: neither may be negative", a.Every, a.For))
	}
	if a.Every > 0 && a.For < a.Every {
		errs = append(errs, fmt.Errorf("automatic retry every %s for %s: the window is shorter than one wait, so no retry would run; give a longer window or every 0 to turn it off", a.Every, a.For))
	}
	return errors.Join(errs...)
}

// Options configure the saga as a worker registers it.
type Options struct {
	AutoRetry AutoRetry
}

// autoRetryClock is the saga's side of the automatic retries: the
// schedule it recorded when it first parked, and since when it is parked.
type autoRetryClock struct {
	recorded bool
	schedule AutoRetry
	since    time.Time
}

// nextAutoRetry is how long the saga, parking now, waits before retrying
// by itself; false when it does not (off, the window is over, or a saga
// from before changeAutoRetry). The worker's schedule is recorded in the
// history at the first park, so a worker configured otherwise replays the
// saga as it ran.
func (s *saga) nextAutoRetry(ctx workflow.Context) (time.Duration, bool) {
	if workflow.GetVersion(ctx, changeAutoRetry, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return 0, false
	}
	c := &s.autoRetry
	if !c.recorded {
		if err := workflow.SideEffect(ctx, func(workflow.Context) any { return s.opts.AutoRetry }).Get(&c.schedule); err != nil {
			workflow.GetLogger(ctx).Error("read the recorded automatic retry schedule; waiting for an operator alone", "dtid", s.state.DTID, "error", err)
		}
		c.recorded, c.since = true, workflow.Now(ctx)
	}
	if c.schedule.Every <= 0 || workflow.Now(ctx).Add(c.schedule.Every).After(c.since.Add(c.schedule.For)) {
		return 0, false
	}
	return c.schedule.Every, true
}
