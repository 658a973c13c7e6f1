package activities

import (
	"context"

	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/services/order/orderapi"
)

// Orders is what the saga needs of the order service.
type Orders interface {
	Create(ctx context.Context, idempotencyKey string, req orderapi.CreateRequest) (orderapi.Order, error)
	CancelDTID(ctx context.Context, idempotencyKey, dtid string) (httpapi.Voided[orderapi.Order], error)
}

// OrderActivities are the order step's activities.
type OrderActivities struct {
	Hops
	Orders Orders
}

// CreateOrderInput asks the order service to confirm the saga's order.
type CreateOrderInput struct {
	DTID           string            `json:"dtid"`
	IdempotencyKey string            `json:"idempotency_key"`
	CustomerID     string            `json:"customer_id"`
	PaymentID      string            `json:"payment_id"`
	AmountCents    int64             `json:"amount_cents"`
	Currency       string            `json:"currency"`
	Items          []orderapi.Item   `json:"items"`
	Faults         map[string]string `json:"faults,omitempty"`
}

// CreateOrderResult names the confirmed order.
type CreateOrderResult struct {
	HopResult
	OrderID string `json:"order_id"`
}

// CreateOrder confirms the order once per idempotency key.
func (a *OrderActivities) CreateOrder(ctx context.Context, in CreateOrderInput) (CreateOrderResult, error) {
	ctx, h := a.startHop(ctx, hopSpec{dtid: in.DTID, step: "order", operation: orderapi.OpCreate, faults: in.Faults})
	o, err := a.Orders.Create(ctx, in.IdempotencyKey, orderapi.CreateRequest{
		DTID: in.DTID, CustomerID: in.CustomerID, PaymentID: in.PaymentID,
		AmountCents: in.AmountCents, Currency: in.Currency, Items: in.Items,
	})
	return CreateOrderResult{HopResult: h.result(), OrderID: o.OrderID}, h.end(ctx, err)
}

// CancelOrder is the compensation of CreateOrder: it cancels every order
// of the DTID and voids it at the order service.
func (a *OrderActivities) CancelOrder(ctx context.Context, in CompensationInput) (HopResult, error) {
	return compensate(ctx, a.Hops, in, "order", orderapi.OpCancel, a.Orders.CancelDTID)
}
