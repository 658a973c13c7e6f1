package workflows

import (
	"errors"
	"strings"
	"testing"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// A DTID that is a card number is refused by a new saga, through the
// recorded local activity; sagas checked inline (started before it) keep
// the first release's DTID rule, which had no card check, so such a saga
// already in flight replays the path it took.
func TestCardNumberDTIDRefusedByNewSagasOnly(t *testing.T) {
	const cardDTID = "4111111111111111"
	in := validInput()
	in.DTID = cardDTID
	if err := in.validateBase(cardDTID, validateDTIDOfTheFirstRelease); err != nil {
		t.Errorf("the inline rules of the first release refuse the DTID: %v", err)
	}

	f := newFake()
	env := newEnv(t, f)
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: WorkflowID(cardDTID)})
	env.ExecuteWorkflow(OrderSaga, in)
	err := env.GetWorkflowError()
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || app.Type() != ErrTypeInvalidInput || !strings.Contains(app.Error(), "card number") {
		t.Fatalf("error = %v, want %s naming the card number", err, ErrTypeInvalidInput)
	}
	if strings.Contains(app.Error(), cardDTID) {
		t.Error("the refusal repeats the card number")
	}
	if calls := f.calledOps(); len(calls) != 0 {
		t.Errorf("activities called: %v", calls)
	}
}

// A DTID that another saga owns under its other workflow ID (the Temporal
// CLI's workflow named by the DTID) is invalid input: nothing is called.
func TestDTIDOwnedByAnotherSagaIsRefused(t *testing.T) {
	f := newFake()
	dtid := validInput().DTID
	f.owners = map[string]string{dtid: dtid} // a saga with the DTID as its workflow ID
	err := runSaga(t, f).GetWorkflowError()  // this one runs as WorkflowID(dtid)
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || app.Type() != ErrTypeInvalidInput || !strings.Contains(app.Error(), "already belongs to the saga of workflow "+dtid) {
		t.Fatalf("error = %v, want %s naming the other saga", err, ErrTypeInvalidInput)
	}
	if calls := f.calledOps(); len(calls) != 0 {
		t.Errorf("activities called: %v", calls)
	}
}
