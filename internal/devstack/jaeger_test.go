package devstack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/sagatrace/sagatrace/internal/devstack/devstacktest"
)

func TestJaeger(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	j := devstacktest.Jaeger(t)
	t.Logf("jaeger query %s", j.QueryURL())

	const service, dtid = "devstack-test", "dtid-42"
	traceID := sendSpan(t, j.OTLPHTTPEndpoint(), service, dtid)

	// Ingestion is asynchronous, so poll, but not forever.
	pollCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	for {
		ids, err := findTraces(pollCtx, j.QueryURL(), service, dtid)
		if err == nil && len(ids) > 0 {
			if len(ids) != 1 || ids[0] != traceID {
				t.Fatalf("traces with dtid=%s: %v, want [%s]", dtid, ids, traceID)
			}
			break
		}
		select {
		case <-pollCtx.Done():
			t.Fatalf("trace %s with dtid=%s not found in Jaeger (last error: %v)", traceID, dtid, err)
		case <-time.After(100 * time.Millisecond):
		}
	}

	assertStops(t, j.Process)
}

// sendSpan exports one span with a dtid attribute over OTLP/HTTP, the way
// sagatrace's services do, and returns its trace ID.
func sendSpan(t *testing.T, endpoint, service, dtid string) string {
	t.Helper()
	ctx := t.Context()
	tp := devstacktest.TracerProvider(t, endpoint, service)
	_, span := tp.Tracer("devstack_test").Start(ctx, "hop")
	span.SetAttributes(attribute.String("dtid", dtid))
	span.End()
	if err := tp.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	return span.SpanContext().TraceID().String()
}

// findTraces returns the IDs of the traces of service tagged dtid.
func findTraces(ctx context.Context, queryURL, service, dtid string) ([]string, error) {
	q := url.Values{"service": {service}, "tags": {fmt.Sprintf(`{"dtid":%q}`, dtid)}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, queryURL+"/api/traces?"+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", req.URL, resp.Status)
	}
	var body struct {
		Data []struct {
			TraceID string `json:"traceID"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(body.Data))
	for _, tr := range body.Data {
		ids = append(ids, tr.TraceID)
	}
	return ids, nil
}
