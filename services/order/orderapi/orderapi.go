// Package orderapi is the order service's contract: request and response
// types, states, problem types, fault operations and the HTTP Client, for
// callers that must not link the server or a database driver. The service
// confirms an order once per Idempotency-Key, after the saga has charged its
// payment, and cancels it on the saga's compensation; every state change
// writes an audit row carrying the correlation ID of the request that made it.
package orderapi

import (
	"context"
	"net/http"
	"time"

	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/httpclient"
	"github.com/sagatrace/sagatrace/internal/ids"
)

// State is where an order is in its lifecycle.
type State string

// The states of an order. Each change is written with an audit row.
const (
	StateConfirmed State = "confirmed"
	StateCancelled State = "cancelled" // final
)

// Problem types this service answers with, besides httpapi's.
const (
	TypeOrderRejected        = "order-rejected"
	TypeIdempotencyKeyReused = "idempotency-key-reused"
	TypeCancelUnavailable    = "order-cancel-unavailable"
	TypeOrderNotFound        = "order-not-found"
	// TypePaymentNotUsable (422) refuses an order whose payment_id names no
	// payment, or one that is not completed or was made for another DTID,
	// customer, amount or currency; the detail names the reason.
	TypePaymentNotUsable = "payment-not-usable"
	// TypePaymentUnavailable (503) answers an order whose payment could not
	// be read (the payment service is unreachable or failing): retry later.
	TypePaymentUnavailable = "payment-unavailable"
)

// Audience is the order service's token audience; the scopes are what a
// token needs for each route.
const (
	Audience    = "order"
	ScopeWrite  = "orders:write"  // POST /v1/orders (create)
	ScopeCancel = "orders:cancel" // POST /v1/orders/{id}/cancel
	ScopeRead   = "orders:read"   // GET /v1/orders, /v1/orders/{id}
)

// The operations of the order service, as the saga's step table and fault
// plans name them. With faults enabled, each takes every kind of
// internal/faults: transient:N (503 while the attempt is ≤ N), latency:D,
// timeout and crash-after-commit (the request that created or cancelled
// answers a bodiless 500); error means what the comment says.
const (
	OpCreate ids.Operation = "order.create" // error: the order is rejected (422), nothing is written
	OpCancel ids.Operation = "order.cancel" // the compensation of OpCreate; error: cancelling is temporarily impossible (503)
)

// Bounds of an order's items, checked by the order service and by the
// saga before it starts. With money.MaxAmountCents per price they keep
// qty*price sums far from int64 overflow.
const (
	MaxItems  = 100
	MaxQty    = 10_000
	MaxSKULen = 64
)

// Item is one line of an order, priced in minor units.
type Item struct {
	SKU        string `json:"sku"`
	Qty        int    `json:"qty"`
	PriceCents int64  `json:"price_cents"`
}

// Order is a confirmed (or cancelled) order of a business transaction:
// what was asked, as it was asked, and what the service made of it. In
// JSON the request's fields stand beside the order's own.
type Order struct {
	OrderID string `json:"order_id"` // UUIDv7, made by the service
	CreateRequest
	State     State         `json:"state"`
	CreatedAt time.Time     `json:"created_at"`
	UpdatedAt time.Time     `json:"updated_at"`
	History   []StateChange `json:"history"` // audit rows, oldest first
}

// StateChange is one audit row: the state entered and the correlation ID
// of the request (hop) that wrote it.
type StateChange = httpapi.StateChange[State]

// CreateRequest asks to confirm an order paid by PaymentID. AmountCents
// must equal the sum of the items. The service reads the payment before it
// confirms: it must exist, be completed, and be of the same DTID, customer,
// amount and currency (else 422 TypePaymentNotUsable).
type CreateRequest struct {
	DTID        string `json:"dtid"`
	CustomerID  string `json:"customer_id"`
	PaymentID   string `json:"payment_id"`
	AmountCents int64  `json:"amount_cents"`
	Currency    string `json:"currency"`
	Items       []Item `json:"items"`
}

// Page is one page of orders; NextCursor is empty on the last page.
type Page = httpapi.Page[Order]

// ListFilter selects orders: all of one DTID when set, after Cursor (a
// NextCursor from the previous page), at most Limit (0 means the default).
type ListFilter = httpapi.ListQuery

// Client calls an order server. Errors the server answered are
// *httpapi.ProblemError (find them with errors.As); anything else is a
// transport failure the caller may retry.
type Client struct {
	// Get returns one order with its history; List one page of them.
	httpclient.Reads[Order]
	l httpclient.Ledger[Order]
}

// NewClient returns a client for the server at baseURL
// ("http://127.0.0.1:8082") using hc, typically httpclient.NewHTTPClient.
func NewClient(baseURL string, hc *http.Client) *Client {
	l := httpclient.NewLedger[Order]("order", baseURL, "orders", hc)
	return &Client{Reads: l.Reads, l: l}
}

// Create confirms an order once per idempotencyKey. When ctx carries no
// DTID the request's is sent as X-DTID; a fault plan and attempt in ctx
// (internal/faults) are sent along. A rejected order is a
// *httpapi.ProblemError with Type TypeOrderRejected.
func (c *Client) Create(ctx context.Context, idempotencyKey string, req CreateRequest) (Order, error) {
	return c.l.Create(ctx, "create", idempotencyKey, req.DTID, req)
}

// Cancel cancels orderID; cancelling a cancelled order returns it unchanged.
func (c *Client) Cancel(ctx context.Context, idempotencyKey, orderID string) (Order, error) {
	return c.l.Compensate(ctx, "cancel", idempotencyKey, orderID)
}

// CancelDTID cancels every order of dtid and voids dtid at the service:
// from then on it refuses a new order for it (409 dtid-voided). It is the
// saga's compensation when it cannot know what its step created.
func (c *Client) CancelDTID(ctx context.Context, idempotencyKey, dtid string) (httpapi.Voided[Order], error) {
	return c.l.CompensateDTID(ctx, "cancel", idempotencyKey, dtid)
}
