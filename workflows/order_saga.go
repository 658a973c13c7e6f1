package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	tracing "go.temporal.io/sdk/contrib/opentelemetry"

	"github.com/sagatrace/sagatrace/internal/ids"
)

// Retry budgets, in attempts per activity execution. A forward step that
// keeps failing is given up and undone; an undo that keeps failing is not
// given up: the saga waits for an operator. Drills size their faults by them.
const (
	StepAttempts         = 5
	CompensationAttempts = 8
)

var (
	stepRetry = &temporal.RetryPolicy{
		InitialInterval: 200 * time.Millisecond, BackoffCoefficient: 2,
		MaximumInterval: 2 * time.Second, MaximumAttempts: StepAttempts,
	}
	compensationRetry = &temporal.RetryPolicy{
		InitialInterval: 200 * time.Millisecond, BackoffCoefficient: 2,
		MaximumInterval: 5 * time.Second, MaximumAttempts: CompensationAttempts,
	}
)

const activityTimeout = 10 * time.Second

// OrderSaga runs payment → order → scoring for one business transaction.
// A step that fails for good undoes, in reverse order, every earlier step
// that may have applied; the workflow then fails with a non-retryable
// SagaCompensated error whose details hold the Result.
func OrderSaga(ctx workflow.Context, in Input) (Result, error) {
	s := newSaga(ctx, in)
	if err := workflow.SetQueryHandler(ctx, QuerySagaState, func() (State, error) { return s.state, nil }); err != nil {
		return s.state, fmt.Errorf("register %s query: %w", QuerySagaState, err)
	}
	if err := in.Validate(s.state.DTID); err != nil {
		s.state.Status, s.state.Error = StatusInvalid, err.Error()
		return s.state, temporal.NewNonRetryableApplicationError("invalid saga input: "+err.Error(), ErrTypeInvalidInput, err)
	}
	if err := s.tag(ctx); err != nil {
		return s.state, err
	}
	if err := s.run(ctx); err != nil {
		return s.compensate(ctx, err)
	}
	s.state.Status = StatusCompleted
	workflow.GetLogger(ctx).Info("saga completed", "dtid", s.state.DTID)
	return s.state, nil
}

// saga is one run's state; it lives only inside the workflow function.
type saga struct {
	in    Input
	state State
	undos []undo
}

// undo is a registered compensation. run gets the number of attempts that
// earlier executions of the undo made, so attempt numbers seen by the
// service go on across the operator's retries.
type undo struct {
	step string
	run  func(ctx workflow.Context, priorAttempts int32) error
}

func newSaga(ctx workflow.Context, in Input) *saga {
	dtid := in.DTID
	if dtid == "" {
		dtid = workflow.GetInfo(ctx).WorkflowExecution.ID
	}
	return &saga{in: in, state: State{DTID: dtid, Status: StatusRunning, Hops: []Hop{}}}
}

// tag makes the saga findable by DTID: the search attribute (when the
// starter did not set it, as with a plain `temporal workflow start`) and the
// dtid attribute on the RunWorkflow span.
func (s *saga) tag(ctx workflow.Context) error {
	if v, ok := workflow.GetTypedSearchAttributes(ctx).GetKeyword(DTIDSearchAttribute); !ok || v != s.state.DTID {
		if err := workflow.UpsertTypedSearchAttributes(ctx, DTIDSearchAttribute.ValueSet(s.state.DTID)); err != nil {
			return fmt.Errorf("upsert %s search attribute: %w", ids.SearchAttributeDTID, err)
		}
	}
	// A replay (a query on a closed run, a worker restart) starts a fresh
	// RunWorkflow span; tagging only the first keeps a dtid search from
	// finding lone replay spans as if they were the saga.
	if span, ok := tracing.SpanFromWorkflowContext(ctx); ok && !workflow.IsReplaying(ctx) {
		span.SetAttributes(attribute.String(ids.AttrDTID, s.state.DTID))
	}
	return nil
}

// run executes the forward steps. Each compensation is registered before its
// step runs, because a step can apply and still fail (a timeout after the
// commit); it is dropped again only when the service refused the step,
// which proves nothing was applied.
func (s *saga) run(ctx workflow.Context) error {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: activityTimeout, RetryPolicy: stepRetry,
	})
	steps := []struct {
		name string
		do   func(workflow.Context) error
		undo func(workflow.Context, int32) error
	}{
		{StepPayment, s.charge, s.refund},
		{StepOrder, s.createOrder, s.cancelOrder},
		{StepScoring, s.publishScore, nil},
	}
	for _, st := range steps {
		s.state.Step = st.name
		if st.undo != nil {
			s.undos = append(s.undos, undo{step: st.name, run: st.undo})
		}
		if err := st.do(ctx); err != nil {
			if st.undo != nil && refused(err) {
				s.undos = s.undos[:len(s.undos)-1]
			}
			return &stepError{step: st.name, err: err}
		}
	}
	return nil
}

// refused reports whether a step failed because the service refused it
// (a non-retryable application error), not because it could not be reached.
func refused(err error) bool {
	var app *temporal.ApplicationError
	return errors.As(err, &app) && app.NonRetryable()
}

// stepError names the forward step that failed for good.
type stepError struct {
	step string
	err  error
}

func (e *stepError) Error() string { return "step " + e.step + ": " + e.err.Error() }
func (e *stepError) Unwrap() error { return e.err }
