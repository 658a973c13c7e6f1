package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
	"github.com/sagatrace/sagatrace/workflows"
)

// A charge that arrives after the saga refunded its DTID — here another
// caller's, with its own Idempotency-Key — is refused by the payment
// service and takes nothing; before the void it was charged and stayed
// completed.
func TestLateChargeAfterCompensationIsRefused(t *testing.T) {
	dtid := ids.NewDTID()
	in := sagaInput(dtid)
	in.Faults = map[string]string{"order.create": "error"}
	if _, err := runSaga(t, in); err == nil {
		t.Fatal("the saga completed; want it compensated by the refused order")
	}
	body, err := json.Marshal(paymentapi.ChargeRequest{DTID: dtid, CustomerID: in.CustomerID, AmountCents: in.AmountCents, Currency: in.Currency})
	if err != nil {
		t.Fatal(err)
	}
	status, answer := postJSON(t, shared.stack.Service(paymentapi.Audience).URL()+"/v1/payments", "late-"+dtid, string(body))
	var problem httpapi.Problem
	if err := json.Unmarshal([]byte(answer), &problem); err != nil || status != http.StatusConflict || !strings.HasSuffix(problem.Type, httpapi.TypeDTIDVoided) {
		t.Fatalf("late charge: %d %s, want 409 %s", status, answer, httpapi.TypeDTIDVoided)
	}
	payments := paymentsOf(t, dtid)
	if len(payments) != 1 || payments[0].State != paymentapi.StateRefunded {
		t.Fatalf("payments of the DTID = %+v, want the saga's one, refunded, and nothing else", payments)
	}
}

// `temporal workflow cancel` while the charge is in flight (slowed 3 s at
// the payment service): the saga compensates at once, by DTID, which voids
// the DTID; the charge, arriving after its delay, is refused and takes
// nothing. Before the void it committed after the refund had found nothing
// and stayed completed, never refunded.
func TestCancelMidChargeLeavesNothingCharged(t *testing.T) {
	dtid := ids.NewDTID()
	in := sagaInput(dtid)
	in.Faults = map[string]string{"payment.charge": "latency:3s"}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	run, err := shared.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: workflows.WorkflowID(dtid), TaskQueue: workflows.TaskQueue,
	}, workflows.WorkflowType, in)
	if err != nil {
		t.Fatal(err)
	}
	// The cancel must land while the charge is in flight: its activity has
	// started and not ended.
	eventually(t, 30*time.Second, func() (bool, string) {
		d, err := shared.temporal.DescribeWorkflowExecution(ctx, run.GetID(), run.GetRunID())
		if err != nil {
			return false, err.Error()
		}
		for _, a := range d.PendingActivities {
			if a.ActivityType.GetName() == "ChargePayment" && a.State == enumspb.PENDING_ACTIVITY_STATE_STARTED {
				return true, ""
			}
		}
		return false, fmt.Sprintf("the charge is not in flight: pending activities %v", d.PendingActivities)
	})
	if err := shared.temporal.CancelWorkflow(ctx, run.GetID(), run.GetRunID()); err != nil {
		t.Fatal(err)
	}
	if err := run.Get(ctx, nil); err == nil {
		t.Fatal("the cancelled saga completed")
	}
	// The slowed charge request ends after the compensation: wait for the
	// payment service's span of it, then read what it left.
	eventually(t, 60*time.Second, func() (bool, string) {
		traces, err := shared.jaeger.FindAllByTag(ctx, ids.AttrDTID, dtid, time.Now().Add(-10*time.Minute), time.Now().Add(time.Minute))
		if err != nil {
			return false, err.Error()
		}
		for _, tr := range traces {
			for _, s := range tr.Spans {
				if tr.Service(s) == "payment" && s.OperationName == "POST /v1/payments" {
					return true, ""
				}
			}
		}
		return false, "the payment service has not finished the charge request yet"
	})
	payments := paymentsOf(t, dtid)
	for _, p := range payments {
		if p.State != paymentapi.StateRefunded {
			t.Errorf("payment %s of the cancelled saga is %s, want none or refunded", p.PaymentID, p.State)
		}
	}
	t.Logf("payments of the cancelled saga: %d (the charge was refused after the void when 0)", len(payments))
}
