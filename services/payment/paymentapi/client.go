package paymentapi

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/sagatrace/sagatrace/internal/httpclient"

	"github.com/sagatrace/sagatrace/internal/faults"
)

// Client calls a payment server. Errors the server answered are
// *httpapi.ProblemError (find them with errors.As); anything else is a
// transport failure the caller may retry.
type Client struct {
	baseURL string
	hc      *http.Client
}

// NewClient returns a client for the server at baseURL
// ("http://127.0.0.1:8081") using hc, typically httpclient.NewHTTPClient.
func NewClient(baseURL string, hc *http.Client) *Client {
	return &Client{baseURL: strings.TrimRight(baseURL, "/"), hc: hc}
}

// Charge charges once per idempotencyKey. When ctx carries no DTID the
// request's is sent as X-DTID, so the server's span and logs carry it; a
// fault plan and attempt in ctx (internal/faults) are sent along.
func (c *Client) Charge(ctx context.Context, idempotencyKey string, req ChargeRequest) (Payment, error) {
	var p Payment
	h := httpclient.WriteHeaders(ctx, idempotencyKey, req.DTID)
	faults.SetHeaders(ctx, h)
	if err := httpclient.Do(ctx, c.hc, http.MethodPost, c.baseURL+"/v1/payments", h, req, &p); err != nil {
		return Payment{}, fmt.Errorf("payment: charge: %w", err)
	}
	return p, nil
}

// Refund refunds paymentID; refunding a refunded or declined payment
// returns it unchanged.
func (c *Client) Refund(ctx context.Context, idempotencyKey, paymentID string) (Payment, error) {
	var p Payment
	h := httpclient.WriteHeaders(ctx, idempotencyKey, "") // the server knows the payment's DTID
	faults.SetHeaders(ctx, h)
	u := c.baseURL + "/v1/payments/" + url.PathEscape(paymentID) + "/refund"
	if err := httpclient.Do(ctx, c.hc, http.MethodPost, u, h, nil, &p); err != nil {
		return Payment{}, fmt.Errorf("payment: refund %s: %w", paymentID, err)
	}
	return p, nil
}

// Get returns one payment with its history.
func (c *Client) Get(ctx context.Context, paymentID string) (Payment, error) {
	var p Payment
	if err := httpclient.Do(ctx, c.hc, http.MethodGet, c.baseURL+"/v1/payments/"+url.PathEscape(paymentID), nil, nil, &p); err != nil {
		return Payment{}, fmt.Errorf("payment: get %s: %w", paymentID, err)
	}
	return p, nil
}

// List returns one page of payments matching f.
func (c *Client) List(ctx context.Context, f ListFilter) (Page, error) {
	page, err := httpclient.GetPage[Payment](ctx, c.hc, c.baseURL+"/v1/payments", f)
	if err != nil {
		return Page{}, fmt.Errorf("payment: list: %w", err)
	}
	return page, nil
}
