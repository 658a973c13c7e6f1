package workflows

import (
	"errors"

	"github.com/sagatrace/sagatrace/services/order/orderapi"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/sagatrace/sagatrace/activities"
	"github.com/sagatrace/sagatrace/internal/ids"
)

// a is only used for its method names; the worker registers a real one.
var a *activities.Activities

func (s *saga) charge(ctx workflow.Context) error {
	var out activities.ChargeResult
	err := workflow.ExecuteActivity(ctx, a.ChargePayment, activities.ChargeInput{
		DTID: s.state.DTID, IdempotencyKey: ids.IdempotencyKey(s.state.DTID, "payment.charge"),
		CustomerID: s.in.CustomerID, AmountCents: s.in.AmountCents, Currency: s.in.Currency,
		CardToken: s.in.CardToken, CardLast4: s.in.CardLast4, Faults: s.in.Faults,
	}).Get(ctx, &out)
	s.state.PaymentID = out.PaymentID
	s.record(StepPayment, "payment.charge", false, out.HopResult, err)
	return err
}

func (s *saga) refund(ctx workflow.Context, priorAttempts int32) error {
	var out activities.HopResult
	err := workflow.ExecuteActivity(ctx, a.RefundPayment, activities.RefundInput{
		DTID: s.state.DTID, IdempotencyKey: ids.IdempotencyKey(s.state.DTID, "payment.refund"),
		PaymentID: s.state.PaymentID, Faults: s.in.Faults, PriorAttempts: priorAttempts,
	}).Get(ctx, &out)
	s.record(StepPayment, "payment.refund", true, out, err)
	return err
}

func (s *saga) createOrder(ctx workflow.Context) error {
	items := make([]orderapi.Item, len(s.in.Items))
	for i, it := range s.in.Items {
		items[i] = orderapi.Item{SKU: it.SKU, Qty: it.Qty, PriceCents: it.PriceCents}
	}
	var out activities.CreateOrderResult
	err := workflow.ExecuteActivity(ctx, a.CreateOrder, activities.CreateOrderInput{
		DTID: s.state.DTID, IdempotencyKey: ids.IdempotencyKey(s.state.DTID, "order.create"),
		CustomerID: s.in.CustomerID, PaymentID: s.state.PaymentID, AmountCents: s.in.AmountCents,
		Currency: s.in.Currency, Items: items, Faults: s.in.Faults,
	}).Get(ctx, &out)
	s.state.OrderID = out.OrderID
	s.record(StepOrder, "order.create", false, out.HopResult, err)
	return err
}

func (s *saga) cancelOrder(ctx workflow.Context, priorAttempts int32) error {
	var out activities.HopResult
	err := workflow.ExecuteActivity(ctx, a.CancelOrder, activities.CancelOrderInput{
		DTID: s.state.DTID, IdempotencyKey: ids.IdempotencyKey(s.state.DTID, "order.cancel"),
		OrderID: s.state.OrderID, Faults: s.in.Faults, PriorAttempts: priorAttempts,
	}).Get(ctx, &out)
	s.record(StepOrder, "order.cancel", true, out, err)
	return err
}

// ScoreDelta is what a completed saga adds to its profile's score: one
// point per whole currency unit of the order, at least one.
func ScoreDelta(amountCents int64) int64 { return max(1, amountCents/100) }

func (s *saga) publishScore(ctx workflow.Context) error {
	eventID := ids.IdempotencyKey(s.state.DTID, "scoring.publish")
	var out activities.PublishScoreResult
	err := workflow.ExecuteActivity(ctx, a.PublishScore, activities.PublishScoreInput{
		DTID: s.state.DTID, EventID: eventID, ProfileID: s.in.ProfileID,
		Kind: "order_completed", Delta: ScoreDelta(s.in.AmountCents), Faults: s.in.Faults,
	}).Get(ctx, &out)
	if err == nil {
		s.state.EventID = eventID
	}
	s.record(StepScoring, "scoring.publish", false, out.HopResult, err)
	return err
}

// record appends the hop to the saga's state. A failed activity's result is
// empty, so its correlation ID is read from the error's details.
func (s *saga) record(step, op string, compensation bool, res activities.HopResult, err error) {
	h := Hop{Step: step, Operation: op, Compensation: compensation,
		CorrelationID: res.CorrelationID, Attempt: res.Attempt, Outcome: "ok"}
	if err != nil {
		h.Outcome, h.Error = "error", describe(err)
		var app *temporal.ApplicationError
		var failure activities.HopFailure
		if errors.As(err, &app) && app.HasDetails() && app.Details(&failure) == nil {
			h.CorrelationID, h.Attempt = failure.CorrelationID, failure.Attempt
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
