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

// Retry budgets. A forward step that keeps failing is given up and undone;
// an undo that keeps failing is not given up: the saga waits for an operator.
var (
	stepRetry = &temporal.RetryPolicy{
		InitialInterval: 200 * time.Millisecond, BackoffCoefficient: 2,
		MaximumInterval: 2 * time.Second, MaximumAttempts: 5,
	}
	compensationRetry = &temporal.RetryPolicy{
		InitialInterval: 200 * time.Millisecond, BackoffCoefficient: 2,
		MaximumInterval: 5 * time.Second, MaximumAttempts: 8,
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

// undo is a registered compensation.
type undo struct {
	step string
	run  func(workflow.Context) error
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
		undo func(workflow.Context) error
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

// compensate runs the registered undos in reverse order on a context that a
// cancellation of the saga cannot cancel. An undo that exhausts its retry
// budget parks the saga in compensation_failed until an operator signals
// retry-compensation; the saga never ends with money half-taken.
func (s *saga) compensate(ctx workflow.Context, cause error) (Result, error) {
	ctx, _ = workflow.NewDisconnectedContext(ctx)
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: activityTimeout, RetryPolicy: compensationRetry,
	})
	log := workflow.GetLogger(ctx)
	s.state.Status, s.state.Error = StatusCompensating, cause.Error()
	var se *stepError
	if errors.As(cause, &se) {
		s.state.Error = "step " + se.step + ": " + describe(se.err)
	}
	retry := workflow.GetSignalChannel(ctx, SignalRetryCompensation)
	for i := len(s.undos) - 1; i >= 0; i-- {
		u := s.undos[i]
		for {
			err := u.run(ctx)
			if err == nil {
				break
			}
			s.state.Status = StatusCompensationFailed
			log.Error("compensation failed; waiting for the retry-compensation signal",
				"dtid", s.state.DTID, "step", u.step, "error", err)
			retry.Receive(ctx, nil)
			log.Info("retrying compensation on operator signal", "dtid", s.state.DTID, "step", u.step)
			s.state.Status = StatusCompensating
		}
	}
	s.state.Status = StatusCompensated
	log.Info("saga compensated", "dtid", s.state.DTID, "cause", s.state.Error)
	return s.state, temporal.NewNonRetryableApplicationError("saga compensated: "+s.state.Error, ErrTypeCompensated, cause, s.state)
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
