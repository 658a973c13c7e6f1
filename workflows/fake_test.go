package workflows

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/sagatrace/sagatrace/activities"
)

// fakeActivities records every call and fails the operations it is told to.
// It has the same method names as the structs of package activities, so the workflow's
// activity references resolve to it. charges is keyed by idempotency key,
// like the real payment service, so a repeated charge is visible.
type fakeActivities struct {
	mu     sync.Mutex
	calls  []string
	refuse map[string]bool // operation → refuse for good (4xx), as its service's business refusal
	// refuseAs makes a refused operation fail with another ApplicationError
	// type: a refusal that proves nothing (IdempotencyKeyReused, DtidVoided).
	refuseAs map[string]string
	flaky    map[string]int // operation → fail this many attempts, retryably
	charges  map[string]string
	// refundPrior records each refund attempt's PriorAttempts.
	refundPrior []int32
	// undoes records, per compensation attempt, the forward hop it names.
	undoes map[string]*activities.HopRef
	// eventIDs records each publish attempt's event ID.
	eventIDs []string
	// owners maps a DTID to the workflow of another saga that owns it.
	owners map[string]string
}

func newFake() *fakeActivities {
	return &fakeActivities{refuse: map[string]bool{}, refuseAs: map[string]string{}, flaky: map[string]int{}, charges: map[string]string{}, undoes: map[string]*activities.HopRef{}}
}

func (f *fakeActivities) record(ctx context.Context, op string) (activities.HopResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, op)
	hop := activities.HopResult{CorrelationID: fmt.Sprintf("%032x", len(f.calls)), SpanID: fmt.Sprintf("%016x", len(f.calls)), Attempt: activity.GetInfo(ctx).Attempt}
	if f.refuse[op] {
		typ, ok := f.refuseAs[op]
		if !ok {
			typ = businessRefusal(op)
		}
		return hop, temporal.NewNonRetryableApplicationError(op+" refused", typ, nil,
			activities.HopFailure{CorrelationID: hop.CorrelationID, SpanID: hop.SpanID, Attempt: hop.Attempt, Status: 422})
	}
	if f.flaky[op] > 0 {
		f.flaky[op]--
		return hop, temporal.NewApplicationErrorWithOptions(op+" unavailable", "HopFailed",
			temporal.ApplicationErrorOptions{Details: []any{activities.HopFailure{CorrelationID: hop.CorrelationID, Attempt: hop.Attempt, Status: 503}}})
	}
	return hop, nil
}

// businessRefusal is the error type with which op's service refuses it
// having written nothing, as the step table lists it; ServiceRefused for
// a step without one.
func businessRefusal(op string) string {
	for _, st := range OrderSagaSteps() {
		if string(st.Operation) == op && len(st.Refusals) > 0 {
			return st.Refusals[0]
		}
	}
	return "ServiceRefused"
}

func (f *fakeActivities) ChargePayment(ctx context.Context, in activities.ChargeInput) (activities.ChargeResult, error) {
	hop, err := f.record(ctx, "payment.charge")
	if err != nil {
		return activities.ChargeResult{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	id, ok := f.charges[in.IdempotencyKey]
	if !ok {
		id = fmt.Sprintf("pay-%d", len(f.charges)+1)
		f.charges[in.IdempotencyKey] = id
	}
	return activities.ChargeResult{HopResult: hop, PaymentID: id}, nil
}

func (f *fakeActivities) RefundPayment(ctx context.Context, in activities.CompensationInput) (activities.HopResult, error) {
	f.mu.Lock()
	f.refundPrior = append(f.refundPrior, in.PriorAttempts)
	f.undoes["payment.refund"] = in.Compensates
	f.mu.Unlock()
	return f.record(ctx, "payment.refund")
}

func (f *fakeActivities) CreateOrder(ctx context.Context, in activities.CreateOrderInput) (activities.CreateOrderResult, error) {
	if in.PaymentID == "" {
		return activities.CreateOrderResult{}, errors.New("order created without a payment")
	}
	hop, err := f.record(ctx, "order.create")
	return activities.CreateOrderResult{HopResult: hop, OrderID: "ord-1"}, err
}

func (f *fakeActivities) CancelOrder(ctx context.Context, in activities.CompensationInput) (activities.HopResult, error) {
	f.mu.Lock()
	f.undoes["order.cancel"] = in.Compensates
	f.mu.Unlock()
	return f.record(ctx, "order.cancel")
}

func (f *fakeActivities) PublishScore(ctx context.Context, in activities.PublishScoreInput) (activities.PublishScoreResult, error) {
	f.mu.Lock()
	f.eventIDs = append(f.eventIDs, in.EventID)
	f.mu.Unlock()
	hop, err := f.record(ctx, "scoring.publish")
	return activities.PublishScoreResult{HopResult: hop, Sequence: 1}, err
}

// OtherSagaOfDTID answers as visibility would from owners.
func (f *fakeActivities) OtherSagaOfDTID(_ context.Context, dtid, workflowID string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if other := f.owners[dtid]; other != workflowID {
		return other, nil
	}
	return "", nil
}

func (f *fakeActivities) calledOps() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}
