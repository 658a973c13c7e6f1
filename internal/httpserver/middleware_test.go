package httpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/sagatrace/sagatrace/internal/faults"
	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/httpclient"
	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/telemetry"
)

// seen is what the handler under test observed in its context.
type seen struct {
	DTID          string `json:"dtid"`
	CorrelationID string `json:"correlation_id"`
	Faults        string `json:"faults"`
}

func newRecorderProvider(t *testing.T) (*sdktrace.TracerProvider, *tracetest.SpanRecorder) {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp, rec
}

// startServer serves one echo route and one failing route through Handle
// and AccessLog; any other path is RouteNotFound's problem.
func startServer(t *testing.T, tp trace.TracerProvider, logs *bytes.Buffer) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	echo := HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		ctx := r.Context()
		return WriteJSON(w, http.StatusOK, seen{
			DTID: ids.DTIDFrom(ctx), CorrelationID: ids.CorrelationIDFrom(ctx), Faults: r.Header.Get(ids.HeaderFaults),
		})
	})
	Handle(mux, "POST /v1/echo/{id}", echo, tp, telemetry.Propagator())
	Handle(mux, "GET /v1/fail", HandlerFunc(func(http.ResponseWriter, *http.Request) error {
		return errors.New("disk on fire")
	}), tp, telemetry.Propagator())
	mux.Handle("/", RouteNotFound())
	logger := slog.New(telemetry.NewLogHandler(slog.NewJSONHandler(logs, nil)))
	srv := httptest.NewServer(AccessLog(logger, mux))
	t.Cleanup(srv.Close)
	return srv
}

// post POSTs {} to url, with header set to value unless value is "". The
// body closes when the test ends.
func post(t *testing.T, url, header, value string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if value != "" {
		req.Header.Set(header, value)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

func TestHandleCarriesHopIdentities(t *testing.T) {
	serverTP, serverSpans := newRecorderProvider(t)
	clientTP, _ := newRecorderProvider(t)
	var logs bytes.Buffer
	srv := startServer(t, serverTP, &logs)

	ctx, root := clientTP.Tracer("test").Start(context.Background(), "hop")
	ctx = faults.WithPlan(ids.WithDTID(ctx, "d-1"), "payment.charge=error")
	var got seen
	err := httpclient.Do(ctx, httpclient.NewHTTPClient(clientTP, telemetry.Propagator()), http.MethodPost, srv.URL+"/v1/echo/42", nil, map[string]int{"a": 1}, &got)
	root.End()
	if err != nil {
		t.Fatal(err)
	}

	traceID := root.SpanContext().TraceID().String()
	if want := (seen{DTID: "d-1", CorrelationID: traceID, Faults: "payment.charge=error"}); got != want {
		t.Errorf("handler saw %+v, want %+v", got, want)
	}
	spans := serverSpans.Ended()
	if len(spans) != 1 {
		t.Fatalf("server spans = %d, want 1", len(spans))
	}
	s := spans[0]
	if s.Name() != "POST /v1/echo/{id}" || s.SpanKind() != trace.SpanKindServer {
		t.Errorf("server span %q kind %v", s.Name(), s.SpanKind())
	}
	attrs := map[string]string{}
	for _, a := range s.Attributes() {
		attrs[string(a.Key)] = a.Value.Emit()
	}
	if attrs["dtid"] != "d-1" || attrs["correlation_id"] != traceID || attrs["http.route"] != "/v1/echo/{id}" {
		t.Errorf("server span attributes = %v", attrs)
	}

	var line map[string]any
	if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
		t.Fatalf("access log is not one JSON line: %v: %s", err, logs.String())
	}
	for k, v := range map[string]any{"method": "POST", "route": "POST /v1/echo/{id}", "status": 200.0, "dtid": "d-1", "correlation_id": traceID, "trace_id": traceID} {
		if line[k] != v {
			t.Errorf("log %s = %v, want %v", k, line[k], v)
		}
	}
	if _, ok := line["duration"]; !ok {
		t.Error("log line has no duration")
	}
}

func TestHandleCorrelationIDFallbacks(t *testing.T) {
	hex32 := regexp.MustCompile(`^[0-9a-f]{32}$`)
	tests := []struct {
		name   string
		header string
		want   string // "" means: a fresh, well-formed ID
	}{
		{name: "valid_header", header: "4bf92f3577b34da6a3ce929d0e0e4736", want: "4bf92f3577b34da6a3ce929d0e0e4736"},
		{name: "malformed_header", header: "not-a-trace-id"},
		{name: "zero_header", header: "00000000000000000000000000000000"},
		{name: "no_header"},
	}
	var logs bytes.Buffer
	// A no-op provider and no traceparent: the span context is invalid.
	srv := startServer(t, noop.NewTracerProvider(), &logs)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := post(t, srv.URL+"/v1/echo/1", ids.HeaderCorrelationID, tt.header)
			var got seen
			if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
				t.Fatal(err)
			}
			if echoed := resp.Header.Get(ids.HeaderCorrelationID); echoed != got.CorrelationID {
				t.Errorf("echoed %q, handler saw %q", echoed, got.CorrelationID)
			}
			if tt.want != "" && got.CorrelationID != tt.want {
				t.Errorf("correlation ID = %q, want %q", got.CorrelationID, tt.want)
			}
			if !hex32.MatchString(got.CorrelationID) || got.CorrelationID == "00000000000000000000000000000000" {
				t.Errorf("correlation ID %q is not a valid trace ID", got.CorrelationID)
			}
		})
	}
}

func TestHandleRejectsInvalidDTIDHeader(t *testing.T) {
	var logs bytes.Buffer
	srv := startServer(t, noop.NewTracerProvider(), &logs)
	ctx := ids.WithDTID(context.Background(), "bad dtid")
	err := httpclient.Do(ctx, http.DefaultClient, http.MethodPost, srv.URL+"/v1/echo/1", nil, struct{}{}, nil)
	var pe *httpapi.ProblemError
	if !errors.As(err, &pe) || pe.Status != http.StatusBadRequest || !strings.Contains(pe.Detail, "X-DTID") {
		t.Fatalf("err = %v, want a 400 naming X-DTID", err)
	}
	if pe.CorrelationID == "" {
		t.Error("problem carries no correlation_id")
	}
}

func TestAccessLogRecordsServerErrorCause(t *testing.T) {
	var logs bytes.Buffer
	srv := startServer(t, noop.NewTracerProvider(), &logs)
	err := httpclient.Do(context.Background(), http.DefaultClient, http.MethodGet, srv.URL+"/v1/fail", nil, nil, nil)
	var pe *httpapi.ProblemError
	if !errors.As(err, &pe) || pe.Status != 500 || strings.Contains(pe.Detail, "fire") {
		t.Fatalf("err = %v, want a generic 500", err)
	}
	var line map[string]any
	if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
		t.Fatal(err)
	}
	if line["level"] != "ERROR" || line["error"] != "disk on fire" {
		t.Errorf("log line = %v, want level ERROR with the cause", line)
	}
}
