// Package jaegerquery reads traces from Jaeger's HTTP query API (the v1 JSON
// API, /api/…). It is what `sagatrace trace` and the end-to-end tests use to
// find every trace of one DTID: Jaeger searches one service at a time, so a
// search by tag walks every service.
package jaegerquery

import (
	"context"
	"encoding/json"
	"fmt"
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

// Trace is one trace as Jaeger returns it.
type Trace struct {
	TraceID   string             `json:"traceID"`
	Spans     []Span             `json:"spans"`
	Processes map[string]Process `json:"processes"`
}

// Span is one span of a Trace.
type Span struct {
	TraceID       string      `json:"traceID"`
	SpanID        string      `json:"spanID"`
	OperationName string      `json:"operationName"`
	References    []Reference `json:"references"`
	StartTime     int64       `json:"startTime"` // unix microseconds
	Duration      int64       `json:"duration"`  // microseconds
	Tags          []KeyValue  `json:"tags"`
	ProcessID     string      `json:"processID"`
}

// Reference links a span to its parent (CHILD_OF) or, for an OpenTelemetry
// span link, to a span of another trace (FOLLOWS_FROM).
type Reference struct {
	RefType string `json:"refType"`
	TraceID string `json:"traceID"`
	SpanID  string `json:"spanID"`
}

// KeyValue is a span tag.
type KeyValue struct {
	Key   string `json:"key"`
	Type  string `json:"type"`
	Value any    `json:"value"`
}

// Process names the service that emitted spans.
type Process struct {
	ServiceName string `json:"serviceName"`
}

// Tag returns the string form of the span's tag key, or "".
func (s Span) Tag(key string) string {
	for _, kv := range s.Tags {
		if kv.Key == key {
			return fmt.Sprint(kv.Value)
		}
	}
	return ""
}

// Service returns the service name of span s in t.
func (t Trace) Service(s Span) string { return t.Processes[s.ProcessID].ServiceName }

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

// Get fetches one whole trace.
func (c *Client) Get(ctx context.Context, traceID string) (Trace, error) {
	var out struct {
		Data []Trace `json:"data"`
	}
	if err := c.get(ctx, "/api/traces/"+url.PathEscape(traceID), nil, &out); err != nil {
		return Trace{}, err
	}
	if len(out.Data) == 0 {
		return Trace{}, fmt.Errorf("jaeger: trace %s not found", traceID)
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
		return fmt.Errorf("jaeger at %s unreachable: %w", c.BaseURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("jaeger: GET %s: %s", path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("jaeger: decode %s: %w", path, err)
	}
	return nil
}
