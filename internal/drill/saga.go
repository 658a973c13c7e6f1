package drill

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"golang.org/x/sync/errgroup"

	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/temporalclient"
	"github.com/sagatrace/sagatrace/workflows"
)

// run is one saga as the drill followed it.
type run struct {
	in             workflows.Input
	started, ended time.Time
	// state is the saga's result, or its saga_state when it did not settle.
	state  workflows.State
	parked bool
	err    error
	// landed says the drill's race hit this saga as the scenario needs;
	// evidence is what the drill saw of it either way.
	landed   bool
	evidence string
	// cancelledAt is when the drill cancelled the saga (cancel-mid-charge);
	// lateTrace the trace of the charge it abandoned in flight, as the
	// payment service answered it.
	cancelledAt time.Time
	lateTrace   string
}

// inputs makes the scenario's sagas: each a fresh DTID and a fresh profile,
// so that a profile's score is exactly the saga's own delta (or none), and
// amounts that differ, so that a mix-up between sagas shows.
func (d *driver) inputs(sc Scenario) []workflows.Input {
	out := make([]workflows.Input, d.o.Sagas)
	for i := range out {
		dtid := ids.NewDTID()
		amount := int64(1000 + 137*i)
		out[i] = workflows.Input{
			DTID: dtid, CustomerID: "drill-" + sc.Name, ProfileID: "drill-" + dtid,
			AmountCents: amount, Currency: "EUR",
			Items:  []workflows.Item{{SKU: "drill-sku", Qty: 1, PriceCents: amount}},
			Faults: maps.Clone(sc.Faults),
		}
	}
	return out
}

// runAll runs the sagas as b says, reporting progress every few seconds.
func (d *driver) runAll(ctx context.Context, sc Scenario, b batch, inputs []workflows.Input) []run {
	runs := make([]run, len(inputs))
	var finished atomic.Int64
	stopProgress := d.reportProgress(sc.Name, len(inputs), &finished)
	defer stopProgress()
	var g errgroup.Group
	g.SetLimit(b.concurrency)
	for i, in := range inputs {
		g.Go(func() error {
			runs[i] = d.runOne(ctx, sc, b, in)
			finished.Add(1)
			return nil
		})
	}
	_ = g.Wait() // every run records its own error
	return runs
}

// reportProgress prints how many sagas finished every 5 s until stopped.
func (d *driver) reportProgress(name string, total int, finished *atomic.Int64) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(5 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				fmt.Fprintf(d.progress, "  %s: %d/%d sagas finished\n", name, finished.Load(), total)
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// runOne starts one saga as `sagatrace start` does and follows it to its
// end; in a Park scenario it waits to see the saga parked, then sends the
// operator's retry-compensation signal. A race of the drill against the
// saga alone (a cancel, a late charge, a duplicate) is played here.
func (d *driver) runOne(ctx context.Context, sc Scenario, b batch, in workflows.Input) (r run) {
	r = run{in: in, started: time.Now()}
	defer func() { r.ended = time.Now() }()
	ctx, cancel := context.WithTimeout(ctx, d.o.SagaTimeout)
	defer cancel()
	ctx, err := temporalclient.WithDTIDBaggage(ctx, in.DTID)
	if err != nil {
		r.err = err
		return r
	}
	ctx, span := d.tracer.Start(ctx, "sagatrace drill", trace.WithAttributes(
		attribute.String(ids.AttrDTID, in.DTID), attribute.String("drill.scenario", sc.Name)))
	defer span.End()

	id := workflows.WorkflowID(in.DTID)
	wr, err := d.temporal.ExecuteWorkflow(ctx, workflows.StartOptions(in.DTID, b.queue), workflows.WorkflowType, in)
	if err != nil {
		r.err = fmt.Errorf("start saga: %w", err)
		return r
	}
	b.started(id)
	if sc.Race == RaceCancelMidCharge {
		d.cancelMidCharge(ctx, &r, id)
	}
	if sc.Park {
		if r.parked, err = d.awaitParked(ctx, id); err != nil {
			r.err = err
			return r
		}
		if err := d.temporal.SignalWorkflow(ctx, id, "", workflows.SignalRetryCompensation, nil); err != nil {
			r.err = fmt.Errorf("signal %s: %w", workflows.SignalRetryCompensation, err)
			return r
		}
	}
	r.state, r.err = d.outcome(ctx, wr)
	if r.err != nil {
		return r
	}
	switch sc.Race {
	case RaceCancelMidCharge:
		r.err = d.awaitChargeSettled(ctx, &r)
	case RaceLateCharge:
		r.err = d.lateCharge(ctx, &r)
	case RaceDuplicateDTID:
		r.err = d.duplicateDTID(ctx, &r, b.queue)
	}
	return r
}

// outcome waits for the saga's end and returns its result. A saga that did
// not settle in time is returned as its saga_state says now.
func (d *driver) outcome(ctx context.Context, wr client.WorkflowRun) (workflows.State, error) {
	var res workflows.Result
	err := wr.Get(ctx, &res)
	if err == nil {
		return res, nil
	}
	var app *temporal.ApplicationError
	if errors.As(err, &app) && app.Type() == workflows.ErrTypeCompensated && app.Details(&res) == nil {
		return res, nil
	}
	// A cancelled saga closes as cancelled, its state as the details.
	var canceled *temporal.CanceledError
	if errors.As(err, &canceled) && canceled.HasDetails() && canceled.Details(&res) == nil {
		return res, nil
	}
	qctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	st, qerr := d.query(qctx, wr.GetID())
	if qerr != nil {
		return st, fmt.Errorf("saga did not settle (%w), and saga_state cannot be read: %w", err, qerr)
	}
	return st, nil
}

// awaitParked polls saga_state until the saga waits in
// compensation_failed, and checks that its workflow is still open: parked
// means visible and waiting, not ended.
func (d *driver) awaitParked(ctx context.Context, workflowID string) (bool, error) {
	for {
		st, err := d.query(ctx, workflowID)
		if err == nil && st.Status == workflows.StatusCompensationFailed {
			desc, err := d.temporal.DescribeWorkflowExecution(ctx, workflowID, "")
			if err != nil {
				return false, fmt.Errorf("describe parked saga: %w", err)
			}
			return desc.GetWorkflowExecutionInfo().GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, nil
		}
		if err == nil && (st.Status == workflows.StatusCompleted || st.Status == workflows.StatusCompensated) {
			return false, nil // it ended without parking; Check says so
		}
		select {
		case <-ctx.Done():
			return false, fmt.Errorf("saga never parked in %s: %w", workflows.StatusCompensationFailed, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// query returns the saga's saga_state.
func (d *driver) query(ctx context.Context, workflowID string) (workflows.State, error) {
	var st workflows.State
	v, err := d.temporal.QueryWorkflow(ctx, workflowID, "", workflows.QuerySagaState)
	if err != nil {
		return st, fmt.Errorf("query %s: %w", workflows.QuerySagaState, err)
	}
	if err := v.Get(&st); err != nil {
		return st, fmt.Errorf("decode %s: %w", workflows.QuerySagaState, err)
	}
	return st, nil
}
