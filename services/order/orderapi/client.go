package orderapi

import (
	"context"
	"net/http"

	"github.com/sagatrace/sagatrace/internal/httpclient"
)

// Client calls an order server. Errors the server answered are
// *httpapi.ProblemError (find them with errors.As); anything else is a
// transport failure the caller may retry.
type Client struct {
	l httpclient.Ledger[Order]
}

// NewClient returns a client for the server at baseURL
// ("http://127.0.0.1:8082") using hc, typically httpclient.NewHTTPClient.
func NewClient(baseURL string, hc *http.Client) *Client {
	return &Client{l: httpclient.NewLedger[Order]("order", baseURL, "orders", hc)}
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

// Get returns one order with its history.
func (c *Client) Get(ctx context.Context, orderID string) (Order, error) {
	return c.l.Get(ctx, orderID)
}

// List returns one page of orders matching f, ordered by order ID
// (creation time).
func (c *Client) List(ctx context.Context, f ListFilter) (Page, error) { return c.l.List(ctx, f) }
