// Package servicetest is the rig of the HTTP services' tests (payment,
// order): one service on a real database (a SQLite file or PostgreSQL, see
// internal/database/dbtest), served by httptest and reached through its
// real Client, with the spans of both sides recorded and its log captured.
// The rig builds the payment and order services as their components do
// (services.go), so the order service reads payments the same way in every
// test; each service's tests add only what is their own: their Client and
// their audit-row query. Requests carry a bearer token
// holding every scope of every service (a service built with AuthConfig
// accepts it), unless a test sends its own.
package servicetest

import (
	"bytes"
	"context"
	"database/sql"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/sagatrace/sagatrace/internal/auth"
	"github.com/sagatrace/sagatrace/internal/database"
	"github.com/sagatrace/sagatrace/internal/httpclient"
	"github.com/sagatrace/sagatrace/internal/ledger"
	"github.com/sagatrace/sagatrace/internal/telemetry"
)

// Build makes a service's HTTP handler over db, traced by tp and logging
// to logger, as the service's component would.
type Build func(ctx context.Context, db *sql.DB, tp trace.TracerProvider, logger *slog.Logger) (http.Handler, error)

// Env is one service under test. Everything it opens is closed by the
// test's cleanup.
type Env struct {
	DB  *sql.DB
	URL string // of the httptest server
	// HTTPClient is traced by ClientTP and sends a token holding every
	// scope of the service: hand it to the service's NewClient.
	HTTPClient  *http.Client
	ClientTP    *sdktrace.TracerProvider
	ClientSpans *tracetest.SpanRecorder
	ServerSpans *tracetest.SpanRecorder
	logs        *LockedBuffer
	// bearer is the Authorization header Raw sends unless told otherwise.
	bearer string
}

// New opens the database at dbURL (a fresh one, from dbtest.Backend),
// builds the service's handler on it and serves it.
func New(t testing.TB, service, dbURL string, build Build) *Env {
	t.Helper()
	ctx := context.Background()
	db, err := database.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })

	serverSpans, clientSpans := tracetest.NewSpanRecorder(), tracetest.NewSpanRecorder()
	serverTP := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(serverSpans))
	clientTP := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(clientSpans))
	t.Cleanup(func() { _ = serverTP.Shutdown(ctx); _ = clientTP.Shutdown(ctx) })

	logs := &LockedBuffer{}
	logger := slog.New(telemetry.NewLogHandler(slog.NewJSONHandler(logs, nil)))
	h, err := build(ctx, db, serverTP, logger)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	bearer := AllScopes(t)
	hc := auth.Client(httpclient.NewHTTPClient(clientTP, telemetry.Propagator()), auth.StaticToken(strings.TrimPrefix(bearer, "Bearer ")))
	return &Env{
		DB:          db,
		URL:         ts.URL,
		HTTPClient:  hc,
		bearer:      bearer,
		ClientTP:    clientTP,
		ClientSpans: clientSpans,
		ServerSpans: serverSpans,
		logs:        logs,
	}
}

// Logs returns what the service has logged so far, as JSON lines.
func (e *Env) Logs() string { return e.logs.String() }

// LockedBuffer is a log sink safe to read while another goroutine writes
// (a server's access log line comes after the response reached the
// client; a child process's output is copied by exec's goroutine).
type LockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *LockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *LockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Ledger is the Build of a service on internal/ledger, made as its
// component makes it, with cfg. A cfg without auth settings gets
// AuthConfig, so the rig's tokens are accepted.
func Ledger(t testing.TB, cfg ledger.Config,
	newHandler func(context.Context, *sql.DB, ledger.Config, trace.TracerProvider, *slog.Logger) (http.Handler, error)) Build {
	if cfg.Auth.Keys.Len() == 0 && !cfg.Auth.Disabled {
		cfg.Auth = AuthConfig(t)
	}
	return func(ctx context.Context, db *sql.DB, tp trace.TracerProvider, logger *slog.Logger) (http.Handler, error) {
		return newHandler(ctx, db, cfg, tp, logger)
	}
}
