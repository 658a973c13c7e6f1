// Package jaegerquery reads traces from Jaeger's HTTP query API (the v1 JSON
// API, /api/…). It is what `sagatrace trace`, the console and the
// end-to-end tests use to find every trace of one DTID: Jaeger searches one
// service at a time, so a search by tag walks every service.
package jaegerquery

import (
	"cmp"
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

// Client talks to one Jaeger query service. Every read is bounded — how
// many services a search walks, how many traces each returns, how many
// bytes an answer may hold, how long it may take — so a busy or hostile
// Jaeger cannot make one console page hold memory or a connection without
// end. The zero values are the defaults below.
type Client struct {
	BaseURL string // e.g. http://127.0.0.1:16686
	HTTP    *http.Client
	// MaxServices is how many services FindAllByTag walks at most.
	MaxServices int
	// MaxTraces is how many traces one service's search returns at most.
	MaxTraces int
	// MaxResponseBytes is the largest answer read from Jaeger.
	MaxResponseBytes int64
	// Timeout bounds each request to Jaeger.
	Timeout time.Duration
}

// Defaults of the Client's bounds. A saga has a trace per hop and a few
// more (operator actions, callers'); a few hundred traces and a few
// dozen services are far more than one DTID shows.
const (
	DefaultMaxServices      = 64
	DefaultMaxTraces        = 200
	DefaultMaxResponseBytes = 32 << 20
	DefaultTimeout          = 15 * time.Second
)

// ErrTooLarge is an answer from Jaeger over MaxResponseBytes.
var ErrTooLarge = errors.New("jaeger: answer too large")

// ErrTooManyServices is a search that would walk more than MaxServices.
var ErrTooManyServices = errors.New("jaeger: too many services to search")

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
	if limit := orDefault(c.MaxServices, DefaultMaxServices); len(services) > limit {
		return nil, fmt.Errorf("%w: Jaeger at %s knows %d services, more than the %d one search by tag walks; "+
			"point the reader at a Jaeger holding sagatrace's services only, or raise its limit", ErrTooManyServices, c.BaseURL, len(services), limit)
	}
	found := map[string]Trace{}
	for _, svc := range services {
		traces, err := c.FindByTag(ctx, svc, key, value, start, end, orDefault(c.MaxTraces, DefaultMaxTraces))
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
	ctx, cancel := context.WithTimeout(ctx, cmp.Or(c.Timeout, DefaultTimeout))
	defer cancel()
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
	limit := cmp.Or(c.MaxResponseBytes, DefaultMaxResponseBytes)
	body := &io.LimitedReader{R: resp.Body, N: limit + 1}
	err = json.NewDecoder(body).Decode(out)
	if body.N <= 0 {
		return fmt.Errorf("%w: Jaeger at %s: GET %s answered more than %d bytes; narrow the search (a shorter time range) or raise the reader's limit",
			ErrTooLarge, c.BaseURL, path, limit)
	}
	if err != nil {
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

func orDefault(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}
