package workflows

import (
	"errors"
	"fmt"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	tracing "go.temporal.io/sdk/contrib/opentelemetry"
	"go.temporal.io/sdk/workflow"

	"github.com/sagatrace/sagatrace/internal/ids"
)

// An operator acts on a parked saga (compensation_failed) with a Workflow
// Update rather than a signal: the validator refuses the action unless the
// saga is parked, so an early or doubled request changes nothing and is
// told why, and the caller gets the outcome of the retry back. Sagas
// parked by a build from before the change wait for the
// retry-compensation signal as they always did (changeOperatorUpdates).

// Update names, as `temporal workflow update execute --name` takes them.
const (
	// UpdateRetryCompensation retries the failing compensation now.
	UpdateRetryCompensation = "retry-compensation"
	// UpdateResolveCompensation marks the failing compensation as done by
	// hand (the operator refunded outside the saga) and goes on with the
	// next one; it needs a reason.
	UpdateResolveCompensation = "resolve-compensation"
)

// autoRetryAction is what waitForOperator returns when no operator acted
// before the automatic retry was due (AutoRetry).
const autoRetryAction = "auto-retry"

// ParkedByEarlierBuild starts the refusal of an update by a saga that an
// earlier build parked: it waits for the retry-compensation signal.
const ParkedByEarlierBuild = "this saga was parked by an earlier build"

// OperatorRequest is the argument of both updates.
type OperatorRequest struct {
	// Operator is who acts: the token's subject, or the OS user of the CLI.
	Operator string `json:"operator"`
	// Reason says why; required to resolve by hand.
	Reason string `json:"reason,omitempty"`
}

// OperatorAction is one operator action, as the saga's state records it.
type OperatorAction struct {
	Action   string `json:"action"` // an update name
	Step     string `json:"step"`
	Operator string `json:"operator"`
	Reason   string `json:"reason,omitempty"`
}

// maxOperatorText bounds an operator's name and reason: they are stored in
// the saga's state and history.
const maxOperatorText = 500

// operatorDesk is the saga's side of the operator updates.
type operatorDesk struct {
	// accepting is set while the saga is parked on the path that takes
	// updates (not a saga parked by an earlier build, waiting for the
	// signal).
	accepting bool
	// pending is the accepted action the park loop has not taken yet.
	pending *OperatorAction
	// rounds counts the park loop's turns: an update's handler waits until
	// its action has been taken and the retry it started is over.
	rounds int
}

// registerOperatorUpdates installs the update handlers. Registering adds
// no command, so a history from before it replays unchanged.
func (s *saga) registerOperatorUpdates(ctx workflow.Context) error {
	for _, name := range []string{UpdateRetryCompensation, UpdateResolveCompensation} {
		err := workflow.SetUpdateHandlerWithOptions(ctx, name,
			func(ctx workflow.Context, req OperatorRequest) (State, error) { return s.takeAction(ctx, name, req) },
			workflow.UpdateHandlerOptions{Validator: func(req OperatorRequest) error { return s.validateAction(name, req) }})
		if err != nil {
			return fmt.Errorf("register %s update: %w", name, err)
		}
	}
	return nil
}

// validateAction refuses an action the saga cannot take now; a refused
// update is not written to the history.
func (s *saga) validateAction(name string, req OperatorRequest) error {
	var errs []error
	switch {
	case s.state.Status != StatusCompensationFailed:
		errs = append(errs, fmt.Errorf("the saga is %s, not %s: there is nothing to %s", s.state.Status, StatusCompensationFailed, strings.TrimSuffix(name, "-compensation")))
	case !s.desk.accepting:
		errs = append(errs, errors.New(ParkedByEarlierBuild+": send it the retry-compensation signal instead"))
	case s.desk.pending != nil:
		errs = append(errs, fmt.Errorf("an operator action (%s by %s) is already being taken", s.desk.pending.Action, s.desk.pending.Operator))
	}
	if strings.TrimSpace(req.Operator) == "" {
		errs = append(errs, errors.New("operator: say who acts (the CLI sends the OS user)"))
	}
	if name == UpdateResolveCompensation && strings.TrimSpace(req.Reason) == "" {
		errs = append(errs, errors.New("reason: resolving by hand needs a reason (what was done outside the saga)"))
	}
	if len(req.Operator) > maxOperatorText || len(req.Reason) > maxOperatorText {
		errs = append(errs, fmt.Errorf("operator and reason are at most %d characters each", maxOperatorText))
	}
	return errors.Join(errs...)
}

// takeAction hands the action to the park loop and answers once the loop
// has taken it: with the saga parked again, or gone on.
func (s *saga) takeAction(ctx workflow.Context, name string, req OperatorRequest) (State, error) {
	s.desk.pending = &OperatorAction{Action: name, Step: s.state.Step, Operator: req.Operator, Reason: req.Reason}
	round := s.desk.rounds
	if err := workflow.Await(ctx, func() bool {
		return s.desk.rounds != round && (s.state.Status != StatusCompensating)
	}); err != nil {
		return s.state, fmt.Errorf("wait for the %s to be taken: %w", name, err)
	}
	return s.state, nil
}

// waitForOperator parks the saga until an operator acts and returns the
// action. Signals that arrived while the saga was not parked are dropped
// first: only an action taken while parked counts. A retry-compensation
// signal still works while parked, for the tools that send it.
func (s *saga) waitForOperator(ctx workflow.Context, retry workflow.ReceiveChannel) (OperatorAction, error) {
	for retry.ReceiveAsync(nil) {
		workflow.GetLogger(ctx).Warn("dropped a retry-compensation signal sent while the saga was not parked", "dtid", s.state.DTID)
	}
	s.desk.accepting = true
	defer func() { s.desk.accepting = false }()
	arrived := func() bool { return s.desk.pending != nil || retry.Len() > 0 }
	if wait, ok := s.nextAutoRetry(ctx); ok {
		next := workflow.Now(ctx).Add(wait)
		s.state.NextAutoRetry = &next
		acted, err := workflow.AwaitWithTimeout(ctx, wait, arrived)
		s.state.NextAutoRetry = nil
		if err != nil {
			return OperatorAction{}, err
		}
		if !acted {
			return OperatorAction{Action: autoRetryAction, Step: s.state.Step}, nil
		}
	} else if err := workflow.Await(ctx, arrived); err != nil {
		return OperatorAction{}, err
	}
	if s.desk.pending != nil {
		a := *s.desk.pending
		s.desk.pending = nil
		return a, nil
	}
	retry.Receive(ctx, nil)
	return OperatorAction{Action: UpdateRetryCompensation, Step: s.state.Step, Operator: "retry-compensation signal"}, nil
}

// recordAction puts the action in the saga's state and on its RunWorkflow
// span (not on replay, or a restart would add it again).
func (s *saga) recordAction(ctx workflow.Context, a OperatorAction) {
	s.state.OperatorActions = append(s.state.OperatorActions, a)
	workflow.GetLogger(ctx).Info("operator action", "dtid", s.state.DTID, "action", a.Action, "step", a.Step, "operator", a.Operator, "reason", a.Reason)
	if span, ok := tracing.SpanFromWorkflowContext(ctx); ok && !workflow.IsReplaying(ctx) {
		span.AddEvent("saga.operator_action", trace.WithAttributes(
			attribute.String(ids.AttrDTID, s.state.DTID),
			attribute.String(ids.AttrStep, a.Step),
			attribute.String("action", a.Action),
			attribute.String("operator", a.Operator),
			attribute.String("reason", a.Reason),
		))
	}
}
