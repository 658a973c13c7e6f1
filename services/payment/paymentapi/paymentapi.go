// Package paymentapi is the payment service's contract: what a caller (the
// saga's activities, the console, the drill) needs to talk to it — the
// request and response types, states, problem types, fault operations and
// the HTTP Client — without linking the server, its store or a database
// driver. The service charges a customer once per Idempotency-Key, walking
// each payment through stored → initiated → completed (or declined) with
// one audit row per state change, and refunds on the saga's compensation.
package paymentapi

import (
	"context"
	"net/http"
	"time"

	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/httpclient"
	"github.com/sagatrace/sagatrace/internal/ids"
)

// State is where a payment is in its lifecycle.
type State string

// The states of a payment. Each change is written with an audit row.
const (
	StateStored    State = "stored"    // recorded, nothing sent yet
	StateInitiated State = "initiated" // authorisation sent to the card processor
	StateCompleted State = "completed" // captured
	StateDeclined  State = "declined"  // refused by the card processor (final)
	StateRefunded  State = "refunded"  // money returned (final)
)

// Problem types this service answers with, besides httpapi's.
const (
	TypePaymentDeclined      = "payment-declined"
	TypeIdempotencyKeyReused = "idempotency-key-reused"
	TypeRefundUnavailable    = "refund-unavailable"
	TypePaymentNotFound      = "payment-not-found"
)

// Audience is the payment service's token audience; the scopes are what a
// token needs for each route.
const (
	Audience    = "payment"
	ScopeWrite  = "payments:write"  // POST /v1/payments (charge)
	ScopeRefund = "payments:refund" // POST /v1/payments/{id}/refund
	ScopeRead   = "payments:read"   // GET /v1/payments, /v1/payments/{id}
)

// The operations of the payment service, as the saga's step table and
// fault plans name them. With faults enabled, each takes every kind of
// internal/faults: transient:N (503 while the attempt is ≤ N), latency:D,
// timeout and crash-after-commit (the request that charged or refunded
// answers a bodiless 500); error means what the comment says.
const (
	OpCharge ids.Operation = "payment.charge" // error: the card processor declines (422)
	OpRefund ids.Operation = "payment.refund" // the compensation of OpCharge; error: the processor is unavailable for refunds (503)
)

// Payment is one charge. The card is a processor token and its last four
// digits: card numbers are never accepted, stored, logged or put on spans,
// so nothing the service keeps or emits falls under card-data rules.
type Payment struct {
	PaymentID   string        `json:"payment_id"` // UUIDv7, made by the service
	DTID        string        `json:"dtid"`
	CustomerID  string        `json:"customer_id"`
	AmountCents int64         `json:"amount_cents"`
	Currency    string        `json:"currency"`
	CardToken   string        `json:"card_token"`
	CardLast4   string        `json:"card_last4"`
	State       State         `json:"state"`
	CreatedAt   time.Time     `json:"created_at"`
	UpdatedAt   time.Time     `json:"updated_at"`
	History     []StateChange `json:"history"` // audit rows, oldest first
}

// StateChange is one audit row: the state entered and the correlation ID
// of the request (hop) that wrote it.
type StateChange = httpapi.StateChange[State]

// ChargeRequest asks to charge a customer within business transaction DTID.
type ChargeRequest struct {
	DTID        string `json:"dtid"`
	CustomerID  string `json:"customer_id"`
	AmountCents int64  `json:"amount_cents"`
	Currency    string `json:"currency"`
	// CardToken is the card processor's token for the card ("tok_…"),
	// CardLast4 its last four digits; both optional, never a card number.
	CardToken string `json:"card_token,omitempty"`
	CardLast4 string `json:"card_last4,omitempty"`
}

// Page is one page of payments; NextCursor is empty on the last page.
type Page = httpapi.Page[Payment]

// ListFilter selects payments: all of one DTID when set, after Cursor (a
// NextCursor from the previous page), at most Limit (0 means the default).
type ListFilter = httpapi.ListQuery

// Client calls a payment server. Errors the server answered are
// *httpapi.ProblemError (find them with errors.As); anything else is a
// transport failure the caller may retry.
type Client struct {
	// Get returns one payment with its history; List one page of them.
	httpclient.Reads[Payment]
	l httpclient.Ledger[Payment]
}

// NewClient returns a client for the server at baseURL
// ("http://127.0.0.1:8081") using hc, typically httpclient.NewHTTPClient.
func NewClient(baseURL string, hc *http.Client) *Client {
	l := httpclient.NewLedger[Payment]("payment", baseURL, "payments", hc)
	return &Client{Reads: l.Reads, l: l}
}

// Charge charges once per idempotencyKey. When ctx carries no DTID the
// request's is sent as X-DTID, so the server's span and logs carry it; a
// fault plan and attempt in ctx (internal/faults) are sent along. A
// declined charge is a *httpapi.ProblemError with Type TypePaymentDeclined.
func (c *Client) Charge(ctx context.Context, idempotencyKey string, req ChargeRequest) (Payment, error) {
	return c.l.Create(ctx, "charge", idempotencyKey, req.DTID, req)
}

// Refund refunds paymentID; refunding a refunded or declined payment
// returns it unchanged.
func (c *Client) Refund(ctx context.Context, idempotencyKey, paymentID string) (Payment, error) {
	return c.l.Compensate(ctx, "refund", idempotencyKey, paymentID)
}

// RefundDTID refunds every payment of dtid and voids dtid at the service:
// from then on it refuses a new payment for it (409 dtid-voided). It is the
// saga's compensation when it cannot know what its step created.
func (c *Client) RefundDTID(ctx context.Context, idempotencyKey, dtid string) (httpapi.Voided[Payment], error) {
	return c.l.CompensateDTID(ctx, "refund", idempotencyKey, dtid)
}
