package workflows

import (
	"errors"
	"fmt"
	"slices"

	"go.opentelemetry.io/otel/attribute"
	tracing "go.temporal.io/sdk/contrib/opentelemetry"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/sagatrace/sagatrace/activities"
	"github.com/sagatrace/sagatrace/internal/ids"
)

// saga is one run's state; it lives only inside the workflow function.
// It is the engine every saga of this package runs on: steps in order, a
// compensation registered before each step, compensations in reverse order
// when a step fails for good (compensate.go).
type saga struct {
	in            Input
	state         State
	compensations []compensation
	desk          operatorDesk
	// statusAttribute: this saga keeps SagaStatusSearchAttribute current
	// (sagas started before changeSagaStatusAttribute do not).
	statusAttribute bool
	opts            Options
	autoRetry       autoRetryClock
}

// compensation is a registered compensation of one step.
type compensation struct {
	step string
	run  compensationFunc
}

func newSaga(ctx workflow.Context, in Input) *saga {
	dtid := in.DTID
	if dtid == "" {
		dtid = workflow.GetInfo(ctx).WorkflowExecution.ID
	}
	return &saga{in: in, state: State{DTID: dtid, Status: StatusRunning, Hops: []Hop{}}}
}

// start answers saga_state, checks the input and makes the saga findable
// by DTID; a saga whose input is invalid fails here, before any service is
// called.
func (s *saga) start(ctx workflow.Context) error {
	s.statusAttribute = workflow.GetVersion(ctx, changeSagaStatusAttribute, workflow.DefaultVersion, 1) >= 1
	if err := workflow.SetQueryHandler(ctx, QuerySagaState, func() (State, error) { return s.state, nil }); err != nil {
		return fmt.Errorf("register %s query: %w", QuerySagaState, err)
	}
	if err := s.registerOperatorUpdates(ctx); err != nil {
		return err
	}
	if err := s.validate(ctx); err != nil {
		s.state.Error = err.Error()
		s.setStatus(ctx, StatusInvalid)
		return temporal.NewNonRetryableApplicationError("invalid saga input: "+err.Error(), ErrTypeInvalidInput, err)
	}
	return s.tag(ctx)
}

// laterChecks are the input rules added while sagas were in flight, each
// run only for sagas started since (its GetVersion marker); the order of
// the GetVersion calls never changes.
func (s *saga) laterChecks(ctx workflow.Context) error {
	var errs []error
	if workflow.GetVersion(ctx, changeDTIDOwnsWorkflowID, workflow.DefaultVersion, 1) >= 1 {
		errs = append(errs, dtidOwns(s.in.DTID, workflow.GetInfo(ctx).WorkflowExecution.ID))
	}
	if workflow.GetVersion(ctx, changeSKUBoundOfOrder, workflow.DefaultVersion, 1) >= 1 {
		errs = append(errs, s.in.validateSKUBounds())
	}
	if workflow.GetVersion(ctx, changeLenientInput, workflow.DefaultVersion, 1) >= 1 {
		errs = append(errs, s.in.validateFields())
	}
	return errors.Join(errs...)
}

// dtidOwns checks that the input's DTID belongs to the workflow: its
// workflow ID is WorkflowID(dtid) (as sagatrace start names it) or the
// DTID itself; an input without a DTID takes the workflow ID. Every
// idempotency key and every compensation of the saga is derived from the
// DTID, so a second workflow naming a DTID it does not own would replay
// the first's charge and could refund it.
func dtidOwns(dtid, workflowID string) error {
	if dtid == "" || workflowID == WorkflowID(dtid) || workflowID == dtid {
		return nil
	}
	return fmt.Errorf("dtid %q does not belong to workflow ID %q: start it as %q (sagatrace start does), or leave dtid out and the workflow ID is the DTID",
		dtid, workflowID, WorkflowID(dtid))
}

// execute runs steps and, when one fails for good, compensates: the
// outcome of every saga of this package.
func (s *saga) execute(ctx workflow.Context, steps []boundStep) (Result, error) {
	if err := s.start(ctx); err != nil {
		return s.state, err
	}
	if err := s.run(ctx, steps); err != nil {
		return s.compensate(ctx, err)
	}
	s.setStatus(ctx, StatusCompleted)
	workflow.GetLogger(ctx).Info("saga completed", "dtid", s.state.DTID)
	return s.state, nil
}

// setStatus moves the saga to st and, for sagas that keep it, updates the
// SagaStatus search attribute, so visibility finds parked sagas. The
// attribute is for finding sagas, not their truth (saga_state is): a
// failed upsert is logged, and the saga goes on.
func (s *saga) setStatus(ctx workflow.Context, st Status) {
	s.state.Status = st
	if !s.statusAttribute {
		return
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, SagaStatusSearchAttribute.ValueSet(string(st))); err != nil {
		workflow.GetLogger(ctx).Error("upsert the SagaStatus search attribute", "dtid", s.state.DTID, "status", st, "error", err)
	}
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
func (s *saga) run(ctx workflow.Context, steps []boundStep) error {
	for _, st := range steps {
		s.state.Step = st.Name
		sctx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			StartToCloseTimeout: activityTimeout, RetryPolicy: retryPolicy(st.Attempts, stepRetryMaxInterval),
		})
		if st.compensate != nil {
			s.compensations = append(s.compensations, compensation{step: st.Name, run: st.compensate})
		}
		if err := st.do(sctx); err != nil {
			if st.compensate != nil && s.appliedNothing(ctx, st.Step, err) {
				s.compensations = s.compensations[:len(s.compensations)-1]
			}
			return &stepError{step: st.Name, err: err}
		}
	}
	return nil
}

// appliedNothing reports whether a failed step provably applied nothing,
// so its compensation can be dropped: the service refused it with one of
// the step's Refusals (declined, rejected), which it answers only for a
// request that wrote nothing, also when an earlier attempt of the same
// key is replayed. Anything else — an outage, a timeout, a 401 on a later
// attempt, a reused key, a voided DTID — may follow an attempt that
// applied and lost its answer, so the compensation stays: it is by DTID
// and a no-op where nothing was applied.
func (s *saga) appliedNothing(ctx workflow.Context, st Step, err error) bool {
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || !app.NonRetryable() {
		return false
	}
	if workflow.GetVersion(ctx, changeUndoOnlyOnProof, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return true // as sagas started before the change decided
	}
	return slices.Contains(st.Refusals, app.Type())
}

// stepError names the forward step that failed for good.
type stepError struct {
	step string
	err  error
}

func (e *stepError) Error() string { return "step " + e.step + ": " + e.err.Error() }
func (e *stepError) Unwrap() error { return e.err }

// record appends the hop to the saga's state. A failed activity's result is
// empty, so its correlation ID is read from the error's details.
func (s *saga) record(step string, op ids.Operation, isCompensation bool, res activities.HopResult, err error) {
	h := Hop{Step: step, Operation: string(op), Compensation: isCompensation,
		CorrelationID: res.CorrelationID, SpanID: res.SpanID, Attempt: res.Attempt, Outcome: "ok"}
	if err != nil {
		h.Outcome, h.Error = "error", describe(err)
		var app *temporal.ApplicationError
		var failure activities.HopFailure
		if errors.As(err, &app) && app.HasDetails() && app.Details(&failure) == nil {
			h.CorrelationID, h.SpanID, h.Attempt = failure.CorrelationID, failure.SpanID, failure.Attempt
		}
	}
	s.state.Hops = append(s.state.Hops, h)
}

// describe returns what went wrong without Temporal's wrapping (activity
// type, event IDs): the message of the innermost application error.
func describe(err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app.Message()
	}
	return err.Error()
}
