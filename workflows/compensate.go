package workflows

import (
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	tracing "go.temporal.io/sdk/contrib/opentelemetry"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/sagatrace/sagatrace/activities"
	"github.com/sagatrace/sagatrace/internal/ids"
)

// compensate runs the registered compensations in reverse order on a
// context that a cancellation of the saga cannot cancel. A compensation
// that exhausts its retry budget parks the saga in compensation_failed
// until an operator acts (operator.go): retries it, or resolves it by hand;
// the saga never ends with money half-taken unless a person says so.
func (s *saga) compensate(ctx workflow.Context, cause error) (Result, error) {
	ctx, _ = workflow.NewDisconnectedContext(ctx)
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: activityTimeout, RetryPolicy: retryPolicy(CompensationAttempts, compensationRetryMaxInterval),
	})
	log := workflow.GetLogger(ctx)
	s.state.Error = cause.Error()
	s.setStatus(ctx, StatusCompensating)
	var se *stepError
	if errors.As(cause, &se) {
		s.state.Error = "step " + se.step + ": " + describe(se.err)
	}
	retry := workflow.GetSignalChannel(ctx, SignalRetryCompensation)
	for i := len(s.compensations) - 1; i >= 0; i-- {
		c := s.compensations[i]
		var tried int32
		for {
			err := c.run(ctx, tried)
			if err == nil {
				break
			}
			tried += attemptsMade(err)
			s.setStatus(ctx, StatusCompensationFailed)
			log.Error("compensation failed; waiting for an operator",
				"dtid", s.state.DTID, "step", c.step, "attempts", tried, "error", err)
			s.markParked(ctx, c.step, tried)
			resolved, err := s.park(ctx, retry, c.step)
			if err != nil {
				return s.state, err
			}
			s.setStatus(ctx, StatusCompensating)
			if resolved {
				break
			}
		}
	}
	s.setStatus(ctx, StatusCompensated)
	log.Info("saga compensated", "dtid", s.state.DTID, "cause", s.state.Error)
	// An operator's update answers once its action is over; let it answer
	// before the run closes.
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return s.state, err
	}
	// A saga compensated because it was cancelled closes as cancelled, as
	// Temporal's users expect of `temporal workflow cancel`: the cause's
	// CanceledError made the SDK close it so anyway, without the saga's
	// state. Now the state rides along as the cancellation's details, so
	// the outcome is readable without a query.
	if temporal.IsCanceledError(cause) && workflow.GetVersion(ctx, changeCanceledWithState, workflow.DefaultVersion, 1) >= 1 {
		return s.state, temporal.NewCanceledError(s.state)
	}
	return s.state, temporal.NewNonRetryableApplicationError("saga compensated: "+s.state.Error, ErrTypeCompensated, cause, s.state)
}

// park waits for an operator and reports whether the operator resolved
// the compensation of step by hand (rather than asking for a retry). A
// saga parked by a build from before operator updates waits for the
// retry-compensation signal, as it did.
func (s *saga) park(ctx workflow.Context, retry workflow.ReceiveChannel, step string) (resolved bool, err error) {
	if workflow.GetVersion(ctx, changeOperatorUpdates, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		retry.Receive(ctx, nil)
		workflow.GetLogger(ctx).Info("retrying compensation on operator signal", "dtid", s.state.DTID, "step", step)
		return false, nil
	}
	a, err := s.waitForOperator(ctx, retry)
	if err != nil {
		return false, err
	}
	if a.Action == autoRetryAction {
		// Counted, not listed with the operators' actions: a day of
		// them would be a hundred and forty entries.
		s.state.AutoRetries++
		workflow.GetLogger(ctx).Info("retrying compensation automatically", "dtid", s.state.DTID, "step", step, "auto_retries", s.state.AutoRetries)
		s.desk.rounds++
		return false, nil
	}
	a.Step = step
	s.recordAction(ctx, a)
	s.desk.rounds++
	return a.Action == UpdateResolveCompensation, nil
}

// markParked puts the wait for an operator on the RunWorkflow span, as an
// event (the hop trace of the compensation's last attempt has one too, and is
// exported at once; this span only when the saga ends). Not on replay, or
// a worker restart would add it again.
func (s *saga) markParked(ctx workflow.Context, step string, attempts int32) {
	if span, ok := tracing.SpanFromWorkflowContext(ctx); ok && !workflow.IsReplaying(ctx) {
		span.AddEvent(string(StatusCompensationFailed), trace.WithAttributes(
			attribute.String(ids.AttrDTID, s.state.DTID),
			attribute.String(ids.AttrStep, step),
			attribute.Int("attempts", int(attempts)),
		))
	}
}

// attemptsMade is how many attempts the failed activity execution made:
// the last attempt's number from the hop's failure details, or the whole
// budget when Temporal ended it (a timeout carries no details, and is
// retried until the budget is spent).
func attemptsMade(err error) int32 {
	var app *temporal.ApplicationError
	var failure activities.HopFailure
	if errors.As(err, &app) && app.HasDetails() && app.Details(&failure) == nil && failure.Attempt > 0 {
		return failure.Attempt
	}
	return CompensationAttempts
}
