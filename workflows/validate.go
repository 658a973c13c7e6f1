package workflows

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/sagatrace/sagatrace/internal/ids"
)

// Validation rules change (a card-number detector that learns new
// spellings, a bound a service tightens), and a rule evaluated by workflow
// code is evaluated again on every replay: a saga in flight whose input a
// new rule refuses would then take another path than its history, and
// fail its workflow task for good. So the saga checks its input in a local
// activity, whose answer is recorded in the history and read back, not
// recomputed, on replay. Sagas started before that keep checking inline,
// with the rules of their time (validateInline).

// ValidationRequest is the local activity's argument: the input, what the
// JSON decoding found unknown (not part of Input's JSON), the resolved
// DTID and the workflow ID that must own it.
type ValidationRequest struct {
	Input        Input  `json:"input"`
	UnknownField string `json:"unknown_field,omitempty"`
	DTID         string `json:"dtid"`
	WorkflowID   string `json:"workflow_id"`
}

// ValidateInput is the local activity: every rule a starter checks, and
// that the workflow ID owns the DTID. It answers the problems as text
// ("" when there are none) rather than failing, so that a refusal is a
// recorded answer, never retried.
func ValidateInput(_ context.Context, req ValidationRequest) (string, error) {
	in := req.Input
	in.unknownField = req.UnknownField
	if err := errors.Join(in.Validate(req.DTID), dtidOwns(in.DTID, req.WorkflowID)); err != nil {
		return err.Error(), nil
	}
	return "", nil
}

// validationTimeout bounds the local activity: pure code, but a local
// activity needs a bound.
const validationTimeout = 10 * time.Second

// validate returns the problems of the saga's input, as recorded by the
// local activity, or as sagas started before it checked them.
func (s *saga) validate(ctx workflow.Context) error {
	if workflow.GetVersion(ctx, changeValidateInLocalActivity, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return s.validateInline(ctx)
	}
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: validationTimeout})
	var problems string
	err := workflow.ExecuteLocalActivity(lctx, ValidateInput, ValidationRequest{
		Input: s.in, UnknownField: s.in.unknownField, DTID: s.state.DTID, WorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID,
	}).Get(ctx, &problems)
	switch {
	case err != nil:
		return fmt.Errorf("check the input: %w", err)
	case problems != "":
		return errors.New(problems)
	}
	return s.dtidUnique(lctx)
}

// dtidUnique refuses a DTID that another saga already owns (see
// activities.Sagas), asking visibility in a local activity.
func (s *saga) dtidUnique(ctx workflow.Context) error {
	if workflow.GetVersion(ctx, changeDTIDUniqueAcrossWorkflows, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return nil
	}
	own := workflow.GetInfo(ctx).WorkflowExecution.ID
	var other string
	if err := workflow.ExecuteLocalActivity(ctx, OtherSagaOfDTIDActivity, s.state.DTID, own).Get(ctx, &other); err != nil {
		return fmt.Errorf("look for another saga of the DTID: %w", err)
	}
	if other != "" {
		return fmt.Errorf("dtid %q already belongs to the saga of workflow %s; this workflow (%s) would replay and could compensate its steps: start a new transaction with a new DTID", s.state.DTID, other, own)
	}
	return nil
}

// OtherSagaOfDTIDActivity is the name under which the worker registers
// activities.Sagas.OtherSagaOfDTID (its method name); the workflow calls it
// by name, as the function needs the worker's Temporal client.
const OtherSagaOfDTIDActivity = "OtherSagaOfDTID"

// validateInline is how sagas started before changeValidateInLocalActivity
// check their input, inside the workflow: the first release's rules (the
// DTID's format, not the card-number check ids.ValidateDTID added later),
// then the rules each later build added, per its marker.
func (s *saga) validateInline(ctx workflow.Context) error {
	return errors.Join(s.in.validateBase(s.state.DTID, validateDTIDOfTheFirstRelease), s.laterChecks(ctx))
}

// validateDTIDOfTheFirstRelease is the DTID rule inline checks keep.
func validateDTIDOfTheFirstRelease(dtid string) error { return ids.ValidateDTIDFormat(dtid) }
