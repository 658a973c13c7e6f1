package paymentapi

import (
	"context"
	"net/http"

	"github.com/sagatrace/sagatrace/internal/httpclient"
)

// Client calls a payment server. Errors the server answered are
// *httpapi.ProblemError (find them with errors.As); anything else is a
// transport failure the caller may retry.
type Client struct {
	l httpclient.Ledger[Payment]
}

// NewClient returns a client for the server at baseURL
// ("http://127.0.0.1:8081") using hc, typically httpclient.NewHTTPClient.
func NewClient(baseURL string, hc *http.Client) *Client {
	return &Client{l: httpclient.NewLedger[Payment]("payment", baseURL, "payments", hc)}
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

// Get returns one payment with its history.
func (c *Client) Get(ctx context.Context, paymentID string) (Payment, error) {
	return c.l.Get(ctx, paymentID)
}

// List returns one page of payments matching f, ordered by payment ID
// (creation time).
func (c *Client) List(ctx context.Context, f ListFilter) (Page, error) { return c.l.List(ctx, f) }
