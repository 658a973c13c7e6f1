package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
	"github.com/sagatrace/sagatrace/workflows"
)

// temporalCLI runs the real temporal CLI against the shared stack.
func temporalCLI(t *testing.T, args ...string) string {
	t.Helper()
	return cli(t, append(args, "--address", shared.stack.Temporal.HostPort())...)
}

func startFromCLI(t *testing.T, workflowID string, in workflows.Input) error {
	t.Helper()
	input, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	temporalCLI(t, "workflow", "start", "--task-queue", workflows.TaskQueue, "--type", workflows.WorkflowType,
		"--workflow-id", workflowID, "--input", string(input))
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	return shared.temporal.GetWorkflow(ctx, workflowID, "").Get(ctx, nil)
}

func TestSagaFromTemporalCLIUsesWorkflowIDAsDTID(t *testing.T) {
	wfID := "cli-" + ids.NewDTID()
	in := sagaInput(wfID)
	in.DTID = ""
	if err := startFromCLI(t, wfID, in); err != nil {
		t.Fatalf("saga started from the CLI failed: %v", err)
	}
	payments := paymentsOf(t, wfID)
	if len(payments) != 1 {
		t.Fatalf("payments of dtid %s = %d, want 1", wfID, len(payments))
	}
	query := awaitOneWorkflowOfDTID(t, wfID)
	out := temporalCLI(t, "workflow", "list", "--query", query)
	if !strings.Contains(out, wfID) {
		t.Errorf("temporal workflow list --query %s does not show %s:\n%s", query, wfID, out)
	}
}

// A second workflow naming a completed saga's DTID (the CLI lets a user
// pick any workflow ID) used to replay its charge with the DTID's keys and,
// failing at scoring, refund the first saga's payment. Now it is invalid
// input and touches nothing.
func TestSecondWorkflowCannotUndoAnotherSagasDTID(t *testing.T) {
	dtid := ids.NewDTID()
	in := sagaInput(dtid)
	if err := startFromCLI(t, workflows.WorkflowID(dtid), in); err != nil {
		t.Fatalf("the saga failed: %v", err)
	}
	in.Faults = map[string]string{"scoring.publish": "error"}
	err := startFromCLI(t, "other-"+dtid, in)
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || app.Type() != workflows.ErrTypeInvalidInput || !strings.Contains(app.Error(), "does not belong to workflow ID") {
		t.Fatalf("second workflow: err = %v, want %s naming the workflow ID", err, workflows.ErrTypeInvalidInput)
	}
	payments := paymentsOf(t, dtid)
	if len(payments) != 1 || payments[0].State != paymentapi.StateCompleted {
		t.Fatalf("payments of the DTID = %+v, want the first saga's one, still completed", payments)
	}
	if n := len(payments[0].History); n != 3 {
		t.Errorf("payment history has %d rows, want 3 (the second workflow wrote none)", n)
	}

	// The other workflow ID that owns a DTID, the DTID itself, as the
	// Temporal CLI names a saga it starts without a dtid: refused too, the
	// first saga found through visibility.
	in.DTID = ""
	err = startFromCLI(t, dtid, in)
	if !errors.As(err, &app) || app.Type() != workflows.ErrTypeInvalidInput || !strings.Contains(app.Error(), "already belongs to the saga of workflow "+workflows.WorkflowID(dtid)) {
		t.Fatalf("workflow %s: err = %v, want %s naming the first saga", dtid, err, workflows.ErrTypeInvalidInput)
	}
	payments = paymentsOf(t, dtid)
	if len(payments) != 1 || payments[0].State != paymentapi.StateCompleted || len(payments[0].History) != 3 {
		t.Errorf("payments of the DTID after the third workflow = %+v, want the first saga's one, untouched", payments)
	}
}

func TestInvalidInputFailsBeforeAnyService(t *testing.T) {
	dtid := ids.NewDTID()
	in := sagaInput(dtid)
	in.CustomerID, in.AmountCents, in.Currency = "", -1, "XYZ"
	_, err := runSaga(t, in)

	var app *temporal.ApplicationError
	if !errors.As(err, &app) || app.Type() != workflows.ErrTypeInvalidInput || !app.NonRetryable() {
		t.Fatalf("error = %v, want non-retryable %s", err, workflows.ErrTypeInvalidInput)
	}
	for _, field := range []string{"customer_id", "amount_cents", "currency"} {
		if !strings.Contains(app.Error(), field) {
			t.Errorf("error %q does not name %s", app.Error(), field)
		}
	}
	payments := paymentsOf(t, dtid)
	if len(payments) != 0 {
		t.Errorf("invalid saga wrote payments: %+v", payments)
	}
}

// Malformed JSON from the Temporal CLI fails the workflow at once, with a
// message that names the field, and reaches no service.
func TestMalformedCLIInputFailsNamingTheField(t *testing.T) {
	tests := []struct {
		name, input, wantField string
	}{
		{"unknown_field", `{"customer_id":"c-1","ammount_cents":1299}`, "ammount_cents"},
		{"amount_as_string", `{"customer_id":"c-1","amount_cents":"12.99"}`, "amount_cents"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wfID := "malformed-" + ids.NewDTID()
			temporalCLI(t, "workflow", "start", "--task-queue", workflows.TaskQueue, "--type", workflows.WorkflowType,
				"--workflow-id", wfID, "--input", tt.input)
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			err := shared.temporal.GetWorkflow(ctx, wfID, "").Get(ctx, nil)
			if err == nil || !strings.Contains(err.Error(), tt.wantField) {
				t.Fatalf("workflow error = %v, want a failure naming %s", err, tt.wantField)
			}
			payments := paymentsOf(t, wfID)
			if len(payments) != 0 {
				t.Errorf("malformed input reached the payment service: %+v", payments)
			}
		})
	}
}
