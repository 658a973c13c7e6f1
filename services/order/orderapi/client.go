package orderapi

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/sagatrace/sagatrace/internal/httpclient"

	"github.com/sagatrace/sagatrace/internal/faults"
)

// Client calls an order server. Errors the server answered are
// *httpapi.ProblemError (find them with errors.As); anything else is a
// transport failure the caller may retry.
type Client struct {
	baseURL string
	hc      *http.Client
}

// NewClient returns a client for the server at baseURL
// ("http://127.0.0.1:8082") using hc, typically httpclient.NewHTTPClient.
func NewClient(baseURL string, hc *http.Client) *Client {
	return &Client{baseURL: strings.TrimRight(baseURL, "/"), hc: hc}
}

// Create confirms an order once per idempotencyKey. When ctx carries no
// DTID the request's is sent as X-DTID; a fault plan and attempt in ctx
// (internal/faults) are sent along.
func (c *Client) Create(ctx context.Context, idempotencyKey string, req CreateRequest) (Order, error) {
	var o Order
	h := httpclient.WriteHeaders(ctx, idempotencyKey, req.DTID)
	faults.SetHeaders(ctx, h)
	if err := httpclient.Do(ctx, c.hc, http.MethodPost, c.baseURL+"/v1/orders", h, req, &o); err != nil {
		return Order{}, fmt.Errorf("order: create: %w", err)
	}
	return o, nil
}

// Cancel cancels orderID; cancelling a cancelled order returns it unchanged.
func (c *Client) Cancel(ctx context.Context, idempotencyKey, orderID string) (Order, error) {
	var o Order
	h := httpclient.WriteHeaders(ctx, idempotencyKey, "") // the server knows the order's DTID
	faults.SetHeaders(ctx, h)
	u := c.baseURL + "/v1/orders/" + url.PathEscape(orderID) + "/cancel"
	if err := httpclient.Do(ctx, c.hc, http.MethodPost, u, h, nil, &o); err != nil {
		return Order{}, fmt.Errorf("order: cancel %s: %w", orderID, err)
	}
	return o, nil
}

// Get returns one order with its history.
func (c *Client) Get(ctx context.Context, orderID string) (Order, error) {
	var o Order
	if err := httpclient.Do(ctx, c.hc, http.MethodGet, c.baseURL+"/v1/orders/"+url.PathEscape(orderID), nil, nil, &o); err != nil {
		return Order{}, fmt.Errorf("order: get %s: %w", orderID, err)
	}
	return o, nil
}

// List returns one page of orders matching f.
func (c *Client) List(ctx context.Context, f ListFilter) (Page, error) {
	page, err := httpclient.GetPage[Order](ctx, c.hc, c.baseURL+"/v1/orders", f)
	if err != nil {
		return Page{}, fmt.Errorf("order: list: %w", err)
	}
	return page, nil
}
