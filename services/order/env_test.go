package order_test

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/sagatrace/sagatrace/internal/database"
	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/telemetry"
	"github.com/sagatrace/sagatrace/services/order"
)

// env is one order server on a real SQLite file, served by httptest and
// reached through the real Client. Spans of both sides are recorded.
type env struct {
	client      *order.Client
	db          *sql.DB
	url         string
	clientTP    *sdktrace.TracerProvider
	clientSpans *tracetest.SpanRecorder
	serverSpans *tracetest.SpanRecorder
	logs        *lockedBuffer
}

func newEnv(t *testing.T, cfg order.Config) *env {
	t.Helper()
	ctx := context.Background()
	db, err := database.Open(ctx, filepath.Join(t.TempDir(), "order.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })

	serverSpans, clientSpans := tracetest.NewSpanRecorder(), tracetest.NewSpanRecorder()
	serverTP := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(serverSpans))
	clientTP := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(clientSpans))
	t.Cleanup(func() { _ = serverTP.Shutdown(ctx); _ = clientTP.Shutdown(ctx) })

	store, err := order.NewStore(ctx, db, serverTP)
	if err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuffer{}
	logger := slog.New(telemetry.NewLogHandler(slog.NewJSONHandler(logs, nil)))
	srv, err := order.NewServer(cfg, store, serverTP, telemetry.Propagator(), logger)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return &env{
		client:      order.NewClient(ts.URL, httpapi.NewHTTPClient(clientTP, telemetry.Propagator())),
		db:          db,
		url:         ts.URL,
		clientTP:    clientTP,
		clientSpans: clientSpans,
		serverSpans: serverSpans,
		logs:        logs,
	}
}

// hop starts a new root span as a saga activity would: its trace ID is the
// correlation ID the service must write on the rows of this request.
func (e *env) hop(t *testing.T, dtid string) (context.Context, string) {
	t.Helper()
	ctx, span := e.clientTP.Tracer("test").Start(context.Background(), "hop", trace.WithNewRoot())
	t.Cleanup(func() { span.End() })
	return ids.WithDTID(ctx, dtid), span.SpanContext().TraceID().String()
}

// raw sends a hand-made request, for what the Client would never send.
func (e *env) raw(t *testing.T, method, path string, headers map[string]string, body string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, e.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// count returns the number of rows of table (a constant in tests).
func (e *env) count(t *testing.T, table string) int {
	t.Helper()
	var n int
	if err := e.db.QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// event is an audit row as stored.
type event struct{ DTID, State, CorrelationID string }

func (e *env) events(t *testing.T, orderID string) []event {
	t.Helper()
	rows, err := e.db.Query(`SELECT ev.dtid, ev.state, ev.correlation_id FROM order_events ev
		JOIN orders o ON o.id = ev.order_ref WHERE o.order_id = $1 ORDER BY ev.id`, orderID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []event
	for rows.Next() {
		var ev event
		if err := rows.Scan(&ev.DTID, &ev.State, &ev.CorrelationID); err != nil {
			t.Fatal(err)
		}
		out = append(out, ev)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// createReq is a valid order of two lines worth 1299 + 2*500 cents.
func createReq(dtid string) order.CreateRequest {
	return order.CreateRequest{
		DTID: dtid, CustomerID: "c-1", PaymentID: "0197a1b2-0000-7000-8000-000000000001",
		AmountCents: 2299, Currency: "USD",
		Items: []order.Item{{SKU: "sku-1", Qty: 1, PriceCents: 1299}, {SKU: "sku-2", Qty: 2, PriceCents: 500}},
	}
}

// lockedBuffer is a log sink safe to read while the server writes: the
// access log line is written after the response has reached the client.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
