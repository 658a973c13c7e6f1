package drill

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/jaegerquery"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
	"github.com/sagatrace/sagatrace/services/scoring/scoringapi"
	"github.com/sagatrace/sagatrace/workflows"
)

// The races the drill plays against one saga at a time (the others, which
// need its own worker, are in chaos.go).

// chargeActivity is the activity type of the charge: the method name under
// which the worker registers activities.PaymentActivities.ChargePayment.
// publishActivity is ScoringActivities.PublishScore's.
const (
	chargeActivity  = "ChargePayment"
	publishActivity = "PublishScore"
)

// raceDeadline bounds each wait of a race for a condition (the charge in
// flight, the rows settled); the machine may be slow, never this slow.
const raceDeadline = 30 * time.Second

// cancelMidCharge waits until the saga's charge is in flight, lets it run
// cancelAfter, and cancels the saga as `temporal workflow cancel` would. It
// lands when Temporal shows the charge still in flight once the
// cancellation is recorded. It leaves r.err to the saga's outcome: a saga
// that could not be cancelled shows there, and as not landed.
func (d *driver) cancelMidCharge(ctx context.Context, r *run, workflowID string) {
	started, err := d.awaitActivity(ctx, workflowID, chargeActivity)
	if err != nil {
		r.evidence = "the charge was never seen in flight: " + err.Error()
		return
	}
	if err := pause(ctx, time.Until(started.Add(cancelAfter))); err != nil {
		r.evidence = err.Error()
		return
	}
	if err := d.temporal.CancelWorkflow(ctx, workflowID, ""); err != nil {
		r.evidence = "cancel: " + err.Error()
		return
	}
	r.cancelledAt = time.Now()
	// The cancellation is in the history once CancelWorkflow returned; the
	// charge still pending now was pending when it was recorded.
	desc, err := d.temporal.DescribeWorkflowExecution(ctx, workflowID, "")
	if err != nil {
		r.evidence = "describe after the cancel: " + err.Error()
		return
	}
	for _, pa := range desc.GetPendingActivities() {
		if pa.GetActivityType().GetName() == chargeActivity {
			r.landed = true
			r.evidence = fmt.Sprintf("cancelled %s into the charge, which was still %s",
				r.cancelledAt.Sub(started).Round(10*time.Millisecond), strings.ToLower(strings.TrimPrefix(pa.GetState().String(), "PENDING_ACTIVITY_STATE_")))
			return
		}
	}
	r.evidence = "the charge had already ended when the cancel was recorded"
}

// awaitActivity polls the saga until an activity of type name is running
// on a worker, and returns when that attempt started.
func (d *driver) awaitActivity(ctx context.Context, workflowID, name string) (time.Time, error) {
	ctx, cancel := context.WithTimeout(ctx, raceDeadline)
	defer cancel()
	for {
		desc, err := d.temporal.DescribeWorkflowExecution(ctx, workflowID, "")
		if err == nil {
			for _, pa := range desc.GetPendingActivities() {
				if pa.GetActivityType().GetName() == name && pa.GetState() == enumspb.PENDING_ACTIVITY_STATE_STARTED {
					return pa.GetLastStartedTime().AsTime(), nil
				}
			}
		}
		if err := pause(ctx, 200*time.Millisecond); err != nil {
			return time.Time{}, fmt.Errorf("no %s in flight within %s: %w", name, raceDeadline, err)
		}
	}
}

// awaitChargeSettled waits, after a cancelled saga ended, until the charge
// it abandoned in flight has ended at the payment service: its server span
// (POST /v1/payments) is in Jaeger — a span is exported when its request
// ends, after whatever it wrote. Only then does the ledger say what the
// late charge did. The span's status is the evidence: 409 means it arrived
// after the saga's refund had voided the DTID.
func (d *driver) awaitChargeSettled(ctx context.Context, r *run) error {
	if r.cancelledAt.IsZero() {
		return nil // never cancelled: the outcome and exercised checks say so
	}
	deadline := r.cancelledAt.Add(chargeLatency + traceWait)
	for {
		traces, err := d.jaeger.FindByTag(ctx, paymentapi.Audience, ids.AttrDTID, r.in.DTID, r.started.Add(-time.Minute), time.Now().Add(time.Minute), 20)
		if err != nil {
			return fmt.Errorf("traces of the cancelled saga's charge: %w", err)
		}
		if traceID, status, ok := chargeSpan(traces); ok {
			r.lateTrace = traceID
			what := fmt.Sprintf("committed (%d) before the refund, which refunded it", status)
			if status == http.StatusConflict {
				what = "refused 409 (the refund had voided the DTID)"
			}
			r.evidence += "; the charge in flight then reached the payment service and was " + what
			d.log.Info("cancelled saga's charge ended at the service", slog.String("dtid", r.in.DTID), slog.Int("status", status))
			return nil
		}
		if time.Now().After(deadline) {
			r.landed = false
			r.evidence += fmt.Sprintf("; the charge in flight never showed at the payment service within %s", chargeLatency+traceWait)
			return nil
		}
		if err := pause(ctx, pollEvery); err != nil {
			return err
		}
	}
}

// chargeSpan finds the payment service's server span of a charge among
// traces, and returns its trace and the status it answered.
func chargeSpan(traces []jaegerquery.Trace) (traceID string, status int, ok bool) {
	for _, t := range traces {
		for _, s := range t.Spans {
			if s.OperationName != http.MethodPost+" "+chargePath {
				continue
			}
			for _, kv := range s.Tags {
				if code, isNum := kv.Value.(float64); kv.Key == "http.response.status_code" && isNum {
					return t.TraceID, int(code), true
				}
			}
		}
	}
	return "", 0, false
}

// lateCharge charges a compensated saga's DTID again, straight at the
// payment service and under a new idempotency key, as a late retry or
// another caller would. It lands when the service refuses it 409
// dtid-voided and writes nothing; a charge it accepts is left for the
// money invariant to judge.
func (d *driver) lateCharge(ctx context.Context, r *run) error {
	before, err := listAll(ctx, d.payments.List, r.in.DTID)
	if err != nil {
		return fmt.Errorf("payments before the late charge: %w", err)
	}
	_, chargeErr := d.charger.Charge(ctx, ids.NewUUID(), paymentapi.ChargeRequest{
		DTID: r.in.DTID, CustomerID: r.in.CustomerID, AmountCents: r.in.AmountCents, Currency: r.in.Currency,
	})
	after, err := listAll(ctx, d.payments.List, r.in.DTID)
	if err != nil {
		return fmt.Errorf("payments after the late charge: %w", err)
	}
	var pe *httpapi.ProblemError
	switch {
	case chargeErr == nil:
		r.evidence = "the late charge was accepted"
	case !errors.As(chargeErr, &pe):
		return fmt.Errorf("late charge: %w", chargeErr)
	case pe.Status != http.StatusConflict || !strings.HasSuffix(pe.Type, httpapi.TypeDTIDVoided):
		r.evidence = fmt.Sprintf("the late charge got %d %s, want 409 %s", pe.Status, pe.Type, httpapi.TypeDTIDVoided)
	case !samePayments(before, after):
		r.evidence = fmt.Sprintf("the late charge was refused 409 %s, but the DTID's payments went from %d to %d rows", httpapi.TypeDTIDVoided, len(before), len(after))
	default:
		r.landed = true
		r.evidence = fmt.Sprintf("late charge refused 409 %s, %d payment rows unchanged", httpapi.TypeDTIDVoided, len(after))
	}
	d.log.Info("late charge after the undo", slog.String("dtid", r.in.DTID), slog.Bool("refused", r.landed), slog.String("evidence", r.evidence))
	return nil
}

// duplicateDTID starts, once the saga completed, a second workflow under
// another workflow ID naming the same DTID, with a fault plan that would
// fail its scoring step and make it compensate — as `temporal workflow
// execute --workflow-id other` would. It lands when the second workflow is
// refused as invalid input; the first saga's ledger is then checked as
// usual: still paid, ordered, scored once.
func (d *driver) duplicateDTID(ctx context.Context, r *run, queue string) error {
	in := r.in
	in.Faults = faultsOn(fault{scoringapi.OpPublish, "error"})
	id := "drill-duplicate-" + in.DTID
	wr, err := d.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: queue}, workflows.WorkflowType, in)
	if err != nil {
		return fmt.Errorf("start the duplicate workflow %s: %w", id, err)
	}
	err = wr.Get(ctx, nil)
	var app *temporal.ApplicationError
	switch {
	case err == nil:
		r.evidence = fmt.Sprintf("workflow %s ran the DTID to completion", id)
	case errors.As(err, &app) && app.Type() == workflows.ErrTypeInvalidInput:
		r.landed = true
		r.evidence = fmt.Sprintf("workflow %s refused as invalid input", id)
	case errors.As(err, &app):
		r.evidence = fmt.Sprintf("workflow %s failed %s, want %s: %s", id, app.Type(), workflows.ErrTypeInvalidInput, app.Message())
	default:
		return fmt.Errorf("duplicate workflow %s: %w", id, err)
	}
	d.log.Info("duplicate DTID", slog.String("dtid", in.DTID), slog.String("workflow_id", id), slog.Bool("refused", r.landed))
	return nil
}

// samePayments reports whether two reads of a DTID's payments hold the
// same rows in the same states.
func samePayments(a, b []paymentapi.Payment) bool {
	return slices.EqualFunc(a, b, func(x, y paymentapi.Payment) bool {
		return x.PaymentID == y.PaymentID && x.State == y.State && len(x.History) == len(y.History)
	})
}
