package workflows

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/services/scoring/scoringapi"
)

// A failed step's compensation is dropped only when the service's refusal
// proves nothing was applied (declined, rejected). A refusal on a later
// attempt proves nothing about an earlier one that may have committed and
// lost its answer: the compensation runs (it is by DTID, and a no-op when
// nothing was applied).
func TestOrderSagaDropsACompensationOnlyOnProof(t *testing.T) {
	tests := []struct {
		name      string
		refuse    string
		as        string // the refusal's error type; "" for the step's business refusal
		wantCalls []string
	}{
		{name: "declined_charge_has_nothing_to_refund", refuse: "payment.charge",
			wantCalls: []string{"payment.charge"}},
		{name: "reused_key_on_a_later_attempt_refunds", refuse: "payment.charge", as: "IdempotencyKeyReused",
			wantCalls: []string{"payment.charge", "payment.refund"}},
		{name: "voided_dtid_refunds", refuse: "payment.charge", as: "DtidVoided",
			wantCalls: []string{"payment.charge", "payment.refund"}},
		{name: "bad_request_refunds", refuse: "payment.charge", as: "InvalidField",
			wantCalls: []string{"payment.charge", "payment.refund"}},
		{name: "rejected_order_has_nothing_to_cancel", refuse: "order.create",
			wantCalls: []string{"payment.charge", "order.create", "payment.refund"}},
		{name: "order_refused_otherwise_is_cancelled", refuse: "order.create", as: "ServiceRefused",
			wantCalls: []string{"payment.charge", "order.create", "order.cancel", "payment.refund"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			f.refuse[tt.refuse] = true
			if tt.as != "" {
				f.refuseAs[tt.refuse] = tt.as
			}
			requireCompensated(t, runSaga(t, f))
			if got := f.calledOps(); !slices.Equal(got, tt.wantCalls) {
				t.Errorf("calls = %v, want %v", got, tt.wantCalls)
			}
		})
	}
}

// One workflow per DTID: a workflow that names a DTID it does not own is
// invalid input and calls nothing, so it can neither replay another
// saga's charge nor refund it.
func TestOrderSagaRefusesADTIDItDoesNotOwn(t *testing.T) {
	dtid := validInput().DTID
	tests := []struct {
		workflowID string
		wantValid  bool
	}{
		{WorkflowID(dtid), true},
		{dtid, true},
		{"another-workflow", false},
		{WorkflowID(dtid) + "-2", false},
		{WorkflowID("other-" + dtid), false},
	}
	for _, tt := range tests {
		t.Run(tt.workflowID, func(t *testing.T) {
			f := newFake()
			env := newEnv(t, f)
			env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: tt.workflowID})
			env.ExecuteWorkflow(OrderSaga, validInput())
			err := env.GetWorkflowError()
			if tt.wantValid {
				if err != nil {
					t.Fatalf("saga failed: %v", err)
				}
				return
			}
			var app *temporal.ApplicationError
			if !errors.As(err, &app) || app.Type() != ErrTypeInvalidInput || !strings.Contains(app.Error(), "does not belong to workflow ID") {
				t.Fatalf("error = %v, want %s naming the workflow ID", err, ErrTypeInvalidInput)
			}
			if calls := f.calledOps(); len(calls) != 0 {
				t.Errorf("activities called: %v", calls)
			}
		})
	}
}

// The scoring event's ID cannot be derived from the DTID (anyone could
// publish under it first), and every retry of the publish sends the same
// one, so the stream stores it once.
func TestOrderSagaEventIDIsRandomAndStableAcrossRetries(t *testing.T) {
	f := newFake()
	f.flaky["scoring.publish"] = 2
	res := requireCompleted(t, runSaga(t, f))
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.eventIDs) != 3 || f.eventIDs[0] != f.eventIDs[1] || f.eventIDs[1] != f.eventIDs[2] {
		t.Fatalf("event IDs of the publish attempts = %v, want one ID three times", f.eventIDs)
	}
	if derived := ids.IdempotencyKey(res.DTID, string(scoringapi.OpPublish)); f.eventIDs[0] == derived || res.EventID != f.eventIDs[0] {
		t.Errorf("event ID %q (result %q): want a random one, recorded in the result, not %q derived from the DTID", f.eventIDs[0], res.EventID, derived)
	}
}

func TestScoreDeltaCountsWholeCurrencyUnits(t *testing.T) {
	tests := []struct {
		minor    int64
		currency string
		want     int64
	}{
		{1299, "USD", 12},
		{1299, "JPY", 1299},
		{1299, "BHD", 1},
		{50, "USD", 1}, // at least one point
		{0, "JPY", 1},
	}
	for _, tt := range tests {
		if got := ScoreDelta(tt.minor, tt.currency); got != tt.want {
			t.Errorf("ScoreDelta(%d %s) = %d, want %d", tt.minor, tt.currency, got, tt.want)
		}
	}
}

// A saga cancelled while its charge is in flight (here: in the charge's
// retry backoff) compensates by DTID and closes as cancelled, with its
// state as the cancellation's details.
func TestCancelledSagaCompensatesAndClosesCancelledWithItsState(t *testing.T) {
	f := newFake()
	f.flaky["payment.charge"] = 3
	env := newEnv(t, f)
	env.RegisterDelayedCallback(env.CancelWorkflow, 100*time.Millisecond)
	env.ExecuteWorkflow(OrderSaga, validInput())
	err := env.GetWorkflowError()
	var canceled *temporal.CanceledError
	if !errors.As(err, &canceled) || !canceled.HasDetails() {
		t.Fatalf("error = %v, want a cancellation with details", err)
	}
	var st State
	if err := canceled.Details(&st); err != nil {
		t.Fatal(err)
	}
	if st.Status != StatusCompensated {
		t.Errorf("state in the details: %s, want %s", st.Status, StatusCompensated)
	}
	if calls := f.calledOps(); calls[len(calls)-1] != "payment.refund" || slices.Contains(calls, "order.create") {
		t.Errorf("calls = %v, want the charge attempts then the refund", calls)
	}
}
