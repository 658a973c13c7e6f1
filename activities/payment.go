package activities

import (
	"context"
	"fmt"

	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
)

// Payments is what the saga needs of the payment service.
type Payments interface {
	Charge(ctx context.Context, idempotencyKey string, req paymentapi.ChargeRequest) (paymentapi.Payment, error)
	RefundDTID(ctx context.Context, idempotencyKey, dtid string) (httpapi.Voided[paymentapi.Payment], error)
}

// PaymentActivities are the payment step's activities.
type PaymentActivities struct {
	Hops
	Payments Payments
}

// ChargeInput asks the payment service to take the saga's money.
type ChargeInput struct {
	DTID           string            `json:"dtid"`
	IdempotencyKey string            `json:"idempotency_key"`
	CustomerID     string            `json:"customer_id"`
	AmountCents    int64             `json:"amount_cents"`
	Currency       string            `json:"currency"`
	CardToken      string            `json:"card_token,omitempty"`
	CardLast4      string            `json:"card_last4,omitempty"`
	Faults         map[string]string `json:"faults,omitempty"`
}

// ChargeResult names the payment that was taken.
type ChargeResult struct {
	HopResult
	PaymentID string `json:"payment_id"`
}

// ChargePayment charges the customer once per idempotency key, however
// often Temporal retries it.
func (a *PaymentActivities) ChargePayment(ctx context.Context, in ChargeInput) (ChargeResult, error) {
	ctx, h := a.startHop(ctx, hopSpec{dtid: in.DTID, step: "payment", operation: paymentapi.OpCharge, faults: in.Faults})
	p, err := a.Payments.Charge(ctx, in.IdempotencyKey, paymentapi.ChargeRequest{
		DTID: in.DTID, CustomerID: in.CustomerID, AmountCents: in.AmountCents, Currency: in.Currency,
		CardToken: in.CardToken, CardLast4: in.CardLast4,
	})
	if err == nil && p.State != paymentapi.StateCompleted {
		err = fmt.Errorf("payment %s ended %s, not completed", p.PaymentID, p.State)
	}
	return ChargeResult{HopResult: h.result(), PaymentID: p.PaymentID}, h.end(ctx, err)
}

// RefundPayment is the compensation of ChargePayment: it refunds every
// payment of the DTID and voids it at the payment service. Refunding twice
// is a no-op there.
func (a *PaymentActivities) RefundPayment(ctx context.Context, in CompensationInput) (HopResult, error) {
	return compensate(ctx, a.Hops, in, "payment", paymentapi.OpRefund, a.Payments.RefundDTID)
}
