package payment

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/sagatrace/sagatrace/internal/faults"
	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/ledger"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
)

// maxSteps bounds the charge loop. States only move forward and there are
// five, so a loop that has not settled after this many rounds has a bug.
const maxSteps = 8

// charge runs the payment named by the request's key to a final state: it
// records it (stored), sends the authorisation (initiated) and records the
// processor's answer (completed or declined), each step committed on its
// own with the correlation ID of this request. A replay resumes wherever an
// earlier request stopped (a crash between steps) and returns a finished
// payment unchanged. Every step is a compare-and-set, so concurrent replays
// never write a state twice; the processor is asked with payment_id as its
// own idempotency key, so asking twice authorises once.
// charger takes payments: the store, and the tracer of the card
// processor's span.
type charger struct {
	store  *Store
	tracer trace.Tracer
}

func (s *charger) charge(ctx context.Context, req ledger.WriteRequest[paymentapi.ChargeRequest]) (paymentapi.Payment, bool, error) {
	cid := ids.CorrelationIDFrom(ctx)
	b := req.Body
	p, created, err := s.store.Create(ctx, req.Key, req.Fingerprint, paymentapi.Payment{
		PaymentID: ids.NewUUID(), DTID: b.DTID, CustomerID: b.CustomerID,
		AmountCents: b.AmountCents, Currency: b.Currency, CardToken: b.CardToken, CardLast4: b.CardLast4,
		State: paymentapi.StateStored,
	}, cid)
	if err != nil {
		return paymentapi.Payment{}, false, fmt.Errorf("record payment: %w", err)
	}
	for range maxSteps {
		ev := send
		if p.State == paymentapi.StateInitiated {
			ev = decline
			if s.authorise(ctx, p, req.Faults) {
				ev = approve
			}
		}
		to, ok := next(p.State, ev)
		if !ok { // completed, declined or refunded: the charge is over
			return p, created, nil
		}
		if p, _, err = s.store.Advance(ctx, p.PaymentID, p.State, to, cid); err != nil {
			return paymentapi.Payment{}, false, fmt.Errorf("advance payment %s: %w", p.PaymentID, err)
		}
	}
	return paymentapi.Payment{}, false, fmt.Errorf("payment %s did not settle after %d steps (state %s)", p.PaymentID, maxSteps, p.State)
}

// authorise stands in for the card processor: it approves everything
// unless the request's fault plan says the processor declines.
func (s *charger) authorise(ctx context.Context, p paymentapi.Payment, plan faults.Plan) bool {
	_, span := s.tracer.Start(ctx, "card-processor.authorise")
	defer span.End()
	approved := !plan.Has(paymentapi.OpCharge, faults.Error)
	span.SetAttributes(
		attribute.String("payment_id", p.PaymentID),
		attribute.Int64("payment.amount_cents", p.AmountCents),
		attribute.Bool("payment.approved", approved),
	)
	return approved
}
