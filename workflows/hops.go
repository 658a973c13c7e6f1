package workflows

import (
	"context"
	"fmt"

	"go.temporal.io/sdk/workflow"

	"github.com/sagatrace/sagatrace/activities"
	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/money"
	"github.com/sagatrace/sagatrace/services/order/orderapi"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
	"github.com/sagatrace/sagatrace/services/scoring/scoringapi"
)

// The activities are referred to by method, through nil pointers, so their
// names stay checked by the compiler; the worker registers real ones.
var (
	payment *activities.PaymentActivities
	order   *activities.OrderActivities
	scoring *activities.ScoringActivities
)

// forwardHops maps each forward operation to the workflow code that calls
// its activity; compensationHops does the same for compensations. A step
// table may use any operation listed here.
func (s *saga) forwardHops() map[ids.Operation]forwardFunc {
	return map[ids.Operation]forwardFunc{
		paymentapi.OpCharge:  s.charge,
		orderapi.OpCreate:    s.createOrder,
		scoringapi.OpPublish: s.publishScore,
	}
}

func (s *saga) compensationHops() map[ids.Operation]compensationFunc {
	return map[ids.Operation]compensationFunc{
		paymentapi.OpRefund: s.compensation(StepPayment, paymentapi.OpRefund, payment.RefundPayment),
		orderapi.OpCancel:   s.compensation(StepOrder, orderapi.OpCancel, order.CancelOrder),
	}
}

// key is the idempotency key of op in this saga: every retry, and a
// second start of the same DTID, sends the same one.
func (s *saga) key(op ids.Operation) string { return ids.IdempotencyKey(s.state.DTID, string(op)) }

func (s *saga) charge(ctx workflow.Context) error {
	var out activities.ChargeResult
	err := workflow.ExecuteActivity(ctx, payment.ChargePayment, activities.ChargeInput{
		DTID: s.state.DTID, IdempotencyKey: s.key(paymentapi.OpCharge),
		CustomerID: s.in.CustomerID, AmountCents: s.in.AmountCents, Currency: s.in.Currency,
		CardToken: s.in.CardToken, CardLast4: s.in.CardLast4, Faults: s.in.Faults,
	}).Get(ctx, &out)
	s.state.PaymentID = out.PaymentID
	s.record(StepPayment, paymentapi.OpCharge, false, out.HopResult, err)
	return err
}

func (s *saga) createOrder(ctx workflow.Context) error {
	items := make([]orderapi.Item, len(s.in.Items))
	for i, it := range s.in.Items {
		items[i] = orderapi.Item{SKU: it.SKU, Qty: it.Qty, PriceCents: it.PriceCents}
	}
	var out activities.CreateOrderResult
	err := workflow.ExecuteActivity(ctx, order.CreateOrder, activities.CreateOrderInput{
		DTID: s.state.DTID, IdempotencyKey: s.key(orderapi.OpCreate),
		CustomerID: s.in.CustomerID, PaymentID: s.state.PaymentID, AmountCents: s.in.AmountCents,
		Currency: s.in.Currency, Items: items, Faults: s.in.Faults,
	}).Get(ctx, &out)
	s.state.OrderID = out.OrderID
	s.record(StepOrder, orderapi.OpCreate, false, out.HopResult, err)
	return err
}

// compensation is the workflow code of a compensation hop: activity
// compensates step's DTID at its service.
func (s *saga) compensation(step string, op ids.Operation,
	activity func(context.Context, activities.CompensationInput) (activities.HopResult, error)) compensationFunc {
	return func(ctx workflow.Context, priorAttempts int32) error {
		var out activities.HopResult
		err := workflow.ExecuteActivity(ctx, activity, activities.CompensationInput{
			DTID: s.state.DTID, IdempotencyKey: s.key(op), Faults: s.in.Faults, PriorAttempts: priorAttempts,
			Compensates: s.forwardHop(step),
		}).Get(ctx, &out)
		s.record(step, op, true, out, err)
		return err
	}
}

// forwardHop is the last attempt of step's forward hop, which its
// compensation undoes, for the compensation's span to link to. Only data
// of the activity's input: no command changes, so no version gate.
func (s *saga) forwardHop(step string) *activities.HopRef {
	for i := len(s.state.Hops) - 1; i >= 0; i-- {
		h := s.state.Hops[i]
		if h.Step == step && !h.Compensation && h.CorrelationID != "" && h.SpanID != "" {
			return &activities.HopRef{CorrelationID: h.CorrelationID, SpanID: h.SpanID}
		}
	}
	return nil
}

// ScoreDelta is what a completed saga adds to its profile's score: one
// point per whole unit of the order's currency (money.Exponent: 1299 is
// 12 points in USD, 1299 in JPY, 1 in BHD), at least one.
func ScoreDelta(amountMinor int64, currency string) int64 {
	exp, _ := money.Exponent(currency) // validated at start; 0 would only over-count
	unit := int64(1)
	for range exp {
		unit *= 10
	}
	return max(1, amountMinor/unit)
}

// scoreDelta is ScoreDelta for this saga; sagas started before
// changeScoreInCurrencyUnits counted every currency in hundredths.
func (s *saga) scoreDelta(ctx workflow.Context) int64 {
	if workflow.GetVersion(ctx, changeScoreInCurrencyUnits, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return max(1, s.in.AmountCents/100)
	}
	return ScoreDelta(s.in.AmountCents, s.in.Currency)
}

func (s *saga) publishScore(ctx workflow.Context) error {
	eventID, err := s.eventID(ctx)
	if err != nil {
		return err
	}
	var out activities.PublishScoreResult
	err = workflow.ExecuteActivity(ctx, scoring.PublishScore, activities.PublishScoreInput{
		DTID: s.state.DTID, EventID: eventID, ProfileID: s.in.ProfileID,
		Kind: "order_completed", Delta: s.scoreDelta(ctx), Faults: s.in.Faults,
	}).Get(ctx, &out)
	if err == nil {
		s.state.EventID = eventID
	}
	s.record(StepScoring, scoringapi.OpPublish, false, out.HopResult, err)
	return err
}

// eventID is the scoring event's ID, the stream's message ID: random, made
// once and recorded in the saga's history (a side effect), so no one who
// knows the DTID can publish under it first, and every retry of the
// publish sends the same one. Sagas started before the change derive it
// from the DTID as they always did.
func (s *saga) eventID(ctx workflow.Context) (string, error) {
	if workflow.GetVersion(ctx, changeRandomEventID, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return s.key(scoringapi.OpPublish), nil
	}
	var id string
	if err := workflow.SideEffect(ctx, func(workflow.Context) any { return ids.NewUUID() }).Get(&id); err != nil {
		return "", fmt.Errorf("make the scoring event ID: %w", err)
	}
	return id, nil
}
