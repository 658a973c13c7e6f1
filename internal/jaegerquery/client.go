// Package jaegerquery reads traces from Jaeger's HTTP query API (the v1 JSON
// API, /api/…). It is what `sagatrace trace`, the console and the
// end-to-end tests use to find every trace of one DTID: Jaeger searches one
// service at a time, so a search by tag walks every service.
package jaegerquery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// Client talks to one Jaeger query service.
type Client struct {
	BaseURL string // e.g. http://127.0.0.1:16686
	HTTP    *http.Client
}

// ErrTraceNotFound is returned by Get for a trace Jaeger does not hold.
var ErrTraceNotFound = errors.New("jaeger: trace not found")

// UnreachableError says that Jaeger did not answer at all, as opposed to
// answering with an error: callers tell the operator which part is down.
type UnreachableError struct {
	BaseURL string
	Err     error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("Jaeger at %s unreachable: %v", e.BaseURL, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// Services lists the services Jaeger has seen.
func (c *Client) Services(ctx context.Context) ([]string, error) {
	var out struct {
		Data []string `json:"data"`
	}
	if err := c.get(ctx, "/api/services", nil, &out); err != nil {
		return nil, err
	}
	slices.Sort(out.Data)
	return out.Data, nil
}

// FindByTag returns the traces of service with a span tagged key=value that
// started in [start, end]. Jaeger ignores lookback, so the bounds are explicit.
func (c *Client) FindByTag(ctx context.Context, service, key, value string, start, end time.Time, limit int) ([]Trace, error) {
	tags, err := json.Marshal(map[string]string{key: value})
	if err != nil {
		return nil, fmt.Errorf("encode tag: %w", err)
	}
	q := url.Values{
		"service": {service},
		"tags":    {string(tags)},
		"start":   {strconv.FormatInt(start.UnixMicro(), 10)},
		"end":     {strconv.FormatInt(end.UnixMicro(), 10)},
		"limit":   {strconv.Itoa(limit)},
	}
	var out struct {
		Data []Trace `json:"data"`
	}
	if err := c.get(ctx, "/api/traces", q, &out); err != nil {
		return nil, err
	}
	return out.Data, nil
}

// FindAllByTag searches every service and returns each matching trace once,
// by trace ID.
func (c *Client) FindAllByTag(ctx context.Context, key, value string, start, end time.Time) (map[string]Trace, error) {
	services, err := c.Services(ctx)
	if err != nil {
		return nil, err
	}
	found := map[string]Trace{}
	for _, svc := range services {
		traces, err := c.FindByTag(ctx, svc, key, value, start, end, 1000)
		if err != nil {
			return nil, err
		}
		for _, t := range traces {
			found[t.TraceID] = t
		}
	}
	return found, nil
}

// Get fetches one whole trace; ErrTraceNotFound when Jaeger has none.
func (c *Client) Get(ctx context.Context, traceID string) (Trace, error) {
	var out struct {
		Data []Trace `json:"data"`
	}
	if err := c.get(ctx, "/api/traces/"+url.PathEscape(traceID), nil, &out); err != nil {
		return Trace{}, err
	}
	if len(out.Data) == 0 {
		return Trace{}, fmt.Errorf("%w: %s", ErrTraceNotFound, traceID)
	}
	return out.Data[0], nil
}

func (c *Client) get(ctx context.Context, path string, q url.Values, out any) error {
	u := c.BaseURL + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("jaeger: %w", err)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return &UnreachableError{BaseURL: c.BaseURL, Err: err}
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound && path != "/api/services" && path != "/api/traces":
		_, _ = io.Copy(io.Discard, resp.Body) // Drain so the connection is reused.
		return fmt.Errorf("%w: GET %s", ErrTraceNotFound, path)
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("Jaeger at %s: GET %s: %s", c.BaseURL, path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("Jaeger at %s: decode %s: %w", c.BaseURL, path, err)
	}
	return nil
}

// GetJSON fetches one trace as Jaeger's v1 API returns it, byte for byte:
// the element of {"data":[…]} that Jaeger's UI also loads from a file.
// Trace drops what the console does not read; an export must not.
func (c *Client) GetJSON(ctx context.Context, traceID string) (json.RawMessage, error) {
	var out struct {
		Data []json.RawMessage `json:"data"`
	}
	if err := c.get(ctx, "/api/traces/"+url.PathEscape(traceID), nil, &out); err != nil {
		return nil, err
	}
	if len(out.Data) == 0 {
		return nil, fmt.Errorf("%w: %s", ErrTraceNotFound, traceID)
	}
	return out.Data[0], nil
}

// GetOTLP fetches one trace from the v3 API as OTLP JSON and returns its
// resourceSpans, each as Jaeger wrote it (span links keep their attributes
// there, unlike in the v1 JSON).
func (c *Client) GetOTLP(ctx context.Context, traceID string) ([]json.RawMessage, error) {
	var out struct {
		Result struct {
			ResourceSpans []json.RawMessage `json:"resourceSpans"`
		} `json:"result"`
	}
	if err := c.get(ctx, "/api/v3/traces/"+url.PathEscape(traceID), nil, &out); err != nil {
		return nil, err
	}
	if len(out.Result.ResourceSpans) == 0 {
		return nil, fmt.Errorf("%w: %s", ErrTraceNotFound, traceID)
	}
	return out.Result.ResourceSpans, nil
}
