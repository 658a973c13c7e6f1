// Package httpclient is the client side of sagatrace's service APIs: a
// traced *http.Client, and Do, which sends a request with the hop's
// identities (X-DTID, X-Correlation-ID, the fault plan) and turns any
// non-2xx answer into an *httpapi.ProblemError. Each service's contract
// package builds its remote Client on it.
package httpclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/sagatrace/sagatrace/internal/faults"
	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/ids"
)

// NewHTTPClient returns a client whose requests are client spans of tp and
// carry the trace context (traceparent, and baggage) injected by prop. Make
// one per component and share it: the transport pools connections, and a
// saga worker calls the same two services all day.
//
// There is no overall Client.Timeout: each call's deadline comes from its
// context (a Temporal activity's start-to-close timeout); the transport's
// timeouts only stop a dead peer from holding a connection forever.
func NewHTTPClient(tp trace.TracerProvider, prop propagation.TextMapPropagator) *http.Client {
	base := &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   5 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   64, // the default of 2 would re-dial under any concurrency
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	return &http.Client{
		Transport: otelhttp.NewTransport(base,
			otelhttp.WithTracerProvider(tp),
			otelhttp.WithPropagators(prop),
		),
	}
}

// Do sends body (JSON-encoded, when not nil) to url and decodes a 2xx
// answer into out (when not nil). It adds X-DTID, X-Correlation-ID and
// X-Sagatrace-Faults from ctx unless headers already set them. A non-2xx
// answer is returned as a *ProblemError; a transport failure is wrapped
// as is, and the caller may retry it.
func Do(ctx context.Context, c *http.Client, method, url string, headers http.Header, body, out any) error {
	var reader io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("encode %s %s request: %w", method, url, err)
		}
		reader = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, reader)
	if err != nil {
		return fmt.Errorf("build %s %s request: %w", method, url, err)
	}
	for k, vs := range headers {
		req.Header[k] = vs
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json, "+httpapi.ContentTypeProblem)
	setDefault(req.Header, ids.HeaderDTID, ids.DTIDFrom(ctx))
	setDefault(req.Header, ids.HeaderCorrelationID, outgoingCorrelationID(ctx))
	setDefault(req.Header, ids.HeaderFaults, faults.PlanFrom(ctx))

	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, url, err)
	}
	defer func() {
		// Draining lets the transport reuse the connection.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, httpapi.MaxProblemBytes))
		_ = resp.Body.Close()
	}()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return httpapi.DecodeProblem(resp).Err(resp.StatusCode)
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		return nil
	}
	// Lenient on purpose: a newer server may add fields.
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("decode %s %s answer: %w", method, url, err)
	}
	return nil
}

// outgoingCorrelationID is the hop's correlation ID from ctx or, when the
// caller set none, the trace ID the request's traceparent will carry.
func outgoingCorrelationID(ctx context.Context) string {
	if cid := ids.CorrelationIDFrom(ctx); cid != "" {
		return cid
	}
	if sc := trace.SpanContextFromContext(ctx); sc.TraceID().IsValid() {
		return sc.TraceID().String()
	}
	return ""
}

func setDefault(h http.Header, key, value string) {
	if value != "" && h.Get(key) == "" {
		h.Set(key, value)
	}
}

// WriteHeaders returns the headers of a write to a service: its
// Idempotency-Key and, when ctx carries no DTID (a caller outside a saga
// hop), X-DTID set to dtid, so the server's span and logs carry the
// transaction anyway. dtid may be "" when the server finds it itself.
func WriteHeaders(ctx context.Context, idempotencyKey, dtid string) http.Header {
	h := http.Header{ids.HeaderIdempotencyKey: {idempotencyKey}}
	if ids.DTIDFrom(ctx) == "" && dtid != "" {
		h.Set(ids.HeaderDTID, dtid)
	}
	return h
}

// GetPage asks the list endpoint at rawURL ("http://host/v1/payments") for
// the page q selects; only the parameters q sets are sent, so the server's
// defaults apply to the rest.
func GetPage[T any](ctx context.Context, c *http.Client, rawURL string, q httpapi.ListQuery) (httpapi.Page[T], error) {
	if v := q.Values(); len(v) > 0 {
		rawURL += "?" + v.Encode()
	}
	var page httpapi.Page[T]
	if err := Do(ctx, c, http.MethodGet, rawURL, nil, nil, &page); err != nil {
		return httpapi.Page[T]{}, err
	}
	return page, nil
}
