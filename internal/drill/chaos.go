package drill

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/sagatrace/sagatrace/workflows"
)

// killDeadline bounds the wait for an activity in flight on the drill's
// worker; the stack's own worker competes for the same task queue.
const killDeadline = 30 * time.Second

// withKilledWorker runs the sagas while the drill's own worker process is
// SIGKILLed under them and a new one takes its place. The killed worker's
// activities are abandoned mid-request; Temporal retries them on another
// worker once their start-to-close timeout passes.
func (d *driver) withKilledWorker(ctx context.Context, sc Scenario, inputs []workflows.Input) ([]run, []string, error) {
	victim, err := d.startWorker(ctx)
	if err != nil {
		return nil, nil, err
	}
	var mu sync.Mutex
	var started []string
	onStart := func(id string) { mu.Lock(); started = append(started, id); mu.Unlock() }
	startedSoFar := func() []string { mu.Lock(); defer mu.Unlock(); return slices.Clone(started) }

	type result struct {
		next *workerProcess
		note string
		err  error
	}
	sagasDone, resc := make(chan struct{}), make(chan result, 1)
	go func() {
		inFlight, err := d.killMidFlight(ctx, victim, startedSoFar, sagasDone)
		if err != nil {
			resc <- result{err: err}
			return
		}
		next, err := d.startWorker(ctx)
		if err != nil {
			resc <- result{err: fmt.Errorf("start the replacement worker: %w", err)}
			return
		}
		resc <- result{next: next, note: fmt.Sprintf("worker pid %d SIGKILLed with %d activities in flight on it; pid %d took over",
			victim.pid(), inFlight, next.pid())}
	}()
	runs := d.runAll(ctx, sc, inputs, onStart)
	close(sagasDone)
	res := <-resc
	if res.next != nil {
		res.err = errors.Join(res.err, res.next.stop())
	}
	return runs, []string{res.note}, res.err
}

// killMidFlight waits until activities are in flight on w — then a second
// more, for other sagas' hops to reach it too — and SIGKILLs it. It kills
// it anyway when the sagas end first or killDeadline passes, and returns
// how many activities were in flight on it at the kill.
func (d *driver) killMidFlight(ctx context.Context, w *workerProcess, started func() []string, sagasDone <-chan struct{}) (int, error) {
	deadline := time.After(killDeadline)
	var seen time.Time
wait:
	for seen.IsZero() || time.Since(seen) < time.Second {
		if seen.IsZero() && d.inFlightOn(ctx, w, started()) > 0 {
			seen = time.Now()
		}
		select {
		case <-sagasDone:
			break wait
		case <-deadline:
			break wait
		case <-ctx.Done():
			return 0, errors.Join(ctx.Err(), w.kill())
		case <-time.After(250 * time.Millisecond):
		}
	}
	n := d.inFlightOn(ctx, w, started())
	fmt.Fprintf(d.progress, "  worker-killed: SIGKILL to worker pid %d, %d activities in flight on it\n", w.pid(), n)
	return n, w.kill()
}

// inFlightOn counts the started activities of the given sagas that Temporal
// says the worker process w picked up.
func (d *driver) inFlightOn(ctx context.Context, w *workerProcess, workflowIDs []string) int {
	n := 0
	for _, id := range workflowIDs {
		desc, err := d.temporal.DescribeWorkflowExecution(ctx, id, "")
		if err != nil {
			continue // a count that is low by one saga only delays the kill
		}
		for _, pa := range desc.GetPendingActivities() {
			if pa.GetState() == enumspb.PENDING_ACTIVITY_STATE_STARTED && strings.HasPrefix(pa.GetLastWorkerIdentity(), w.identity()) {
				n++
			}
		}
	}
	return n
}
