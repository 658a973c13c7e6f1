package payment

import (
	"context"
	"errors"
	"fmt"

	"github.com/sagatrace/sagatrace/internal/httpserver"
	"github.com/sagatrace/sagatrace/internal/ledger"

	"github.com/sagatrace/sagatrace/services/payment/paymentapi"

	"go.opentelemetry.io/otel/attribute"

	"github.com/sagatrace/sagatrace/internal/faults"
	"github.com/sagatrace/sagatrace/internal/ids"
)

// maxSteps bounds the state loops below. States only move forward and there
// are five, so a loop that has not settled after this many rounds has a bug.
const maxSteps = 8

// charge runs the payment named by key to a final state: it records it
// (stored), sends the authorisation (initiated) and records the processor's
// answer (completed or declined), each step committed on its own with the
// correlation ID of this request. A replay resumes wherever an earlier
// request stopped (a crash between steps) and returns a finished payment
// unchanged. Every step is a compare-and-set, so concurrent replays never
// write a state twice; the processor is asked with payment_id as its own
// idempotency key, so asking twice authorises once.
func (s *Server) charge(ctx context.Context, key string, req paymentapi.ChargeRequest, plan faults.Plan) (paymentapi.Payment, bool, error) {
	hash, err := ledger.Fingerprint(req)
	if err != nil {
		return paymentapi.Payment{}, false, err
	}
	cid := ids.CorrelationIDFrom(ctx)
	t := now()
	p, created, err := s.store.create(ctx, key, hash, paymentapi.Payment{
		PaymentID:   ids.NewUUID(),
		DTID:        req.DTID,
		CustomerID:  req.CustomerID,
		AmountCents: req.AmountCents,
		Currency:    req.Currency,
		CardToken:   req.CardToken,
		CardLast4:   req.CardLast4,
		State:       paymentapi.StateStored,
		CreatedAt:   t,
		UpdatedAt:   t,
	}, cid)
	switch {
	case errors.Is(err, errKeyReused):
		return paymentapi.Payment{}, false, httpserver.Refused(paymentapi.TypeIdempotencyKeyReused,
			"Idempotency-Key was already used for a different charge; use a new key for a new charge")
	case err != nil:
		return paymentapi.Payment{}, false, fmt.Errorf("record payment: %w", err)
	}
	for range maxSteps {
		switch p.State {
		case paymentapi.StateStored:
			p, _, err = s.store.advance(ctx, p.PaymentID, paymentapi.StateStored, paymentapi.StateInitiated, cid)
		case paymentapi.StateInitiated:
			next := paymentapi.StateDeclined
			if s.authorise(ctx, p, plan) {
				next = paymentapi.StateCompleted
			}
			p, _, err = s.store.advance(ctx, p.PaymentID, paymentapi.StateInitiated, next, cid)
		default:
			return p, created, nil
		}
		if err != nil {
			return paymentapi.Payment{}, false, fmt.Errorf("advance payment %s: %w", p.PaymentID, err)
		}
	}
	return paymentapi.Payment{}, false, fmt.Errorf("payment %s did not settle after %d steps (state %s)", p.PaymentID, maxSteps, p.State)
}

// authorise stands in for the card processor: it approves everything
// unless the request's fault plan says the processor declines.
func (s *Server) authorise(ctx context.Context, p paymentapi.Payment, plan faults.Plan) bool {
	_, span := s.tracer.Start(ctx, "card-processor.authorise")
	defer span.End()
	approved := !plan.Has(paymentapi.FaultCharge, faults.Error)
	span.SetAttributes(
		attribute.String("payment_id", p.PaymentID),
		attribute.Int64("payment.amount_cents", p.AmountCents),
		attribute.Bool("payment.approved", approved),
	)
	return approved
}

// refund returns a payment's money: completed, stored and initiated
// payments become refunded (a charge still in flight then stops at its next
// compare-and-set); declined and refunded ones are returned unchanged, as
// there is nothing (more) to refund. refunded reports whether this request
// made the change.
func (s *Server) refund(ctx context.Context, paymentID string, plan faults.Plan) (p paymentapi.Payment, refunded bool, err error) {
	p, err = s.store.get(ctx, paymentID)
	if errors.Is(err, errNotFound) {
		return paymentapi.Payment{}, false, httpserver.NotFound(paymentapi.TypePaymentNotFound, fmt.Sprintf("no payment %q", paymentID))
	}
	if err != nil {
		return paymentapi.Payment{}, false, fmt.Errorf("read payment %s: %w", paymentID, err)
	}
	if ids.DTIDFrom(ctx) == "" {
		ctx = httpserver.BindDTID(ctx, p.DTID)
	}
	for range maxSteps {
		if p.State == paymentapi.StateDeclined || p.State == paymentapi.StateRefunded {
			return p, refunded, nil
		}
		// The fault is checked only when a refund would happen: an
		// unavailable processor does not matter to a finished refund.
		if plan.Has(paymentapi.FaultRefund, faults.Error) {
			return paymentapi.Payment{}, false, httpserver.Unavailable(paymentapi.TypeRefundUnavailable,
				"the card processor is unavailable for refunds; retry later")
		}
		var moved bool
		if p, moved, err = s.store.advance(ctx, paymentID, p.State, paymentapi.StateRefunded, ids.CorrelationIDFrom(ctx)); err != nil {
			return paymentapi.Payment{}, false, fmt.Errorf("refund payment %s: %w", paymentID, err)
		}
		refunded = refunded || moved
	}
	return paymentapi.Payment{}, false, fmt.Errorf("refund of payment %s did not settle after %d steps", paymentID, maxSteps)
}
