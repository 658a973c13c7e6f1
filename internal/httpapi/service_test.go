package httpapi

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sagatrace/sagatrace/internal/telemetry"
)

func TestServiceHandler(t *testing.T) {
	tp, spans := newRecorderProvider(t)
	var logs bytes.Buffer
	errDown := errors.New("db down")
	var readyErr error
	h := ServiceHandler(Routes{
		"GET /v1/things": func(w http.ResponseWriter, _ *http.Request) error { return WritePage(w, Page[int]{}) },
	}, func(context.Context) error { return readyErr }, tp, telemetry.Propagator(), slog.New(slog.NewJSONHandler(&logs, nil)))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	tests := []struct {
		name       string
		path       string
		notReady   bool
		wantStatus int
		wantBody   string
	}{
		{name: "route", path: "/v1/things", wantStatus: 200, wantBody: `"items":[]`},
		{name: "liveness", path: "/healthz", wantStatus: 200, wantBody: `"ok"`},
		{name: "ready", path: "/readyz", wantStatus: 200, wantBody: `"ready"`},
		{name: "not_ready", path: "/readyz", notReady: true, wantStatus: 503, wantBody: "not-ready"},
		{name: "unknown_path_is_a_problem", path: "/v2/nothing", wantStatus: 404, wantBody: TypeRouteNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			readyErr = nil
			if tt.notReady {
				readyErr = errDown
			}
			resp, err := http.Get(srv.URL + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body bytes.Buffer
			_, _ = body.ReadFrom(resp.Body)
			if resp.StatusCode != tt.wantStatus || !strings.Contains(body.String(), tt.wantBody) {
				t.Errorf("%s = %d %s, want %d with %s", tt.path, resp.StatusCode, body.String(), tt.wantStatus, tt.wantBody)
			}
		})
	}
	// Only the route is traced: probes would bury the hop traces.
	for _, s := range spans.Ended() {
		if s.Name() != "GET /v1/things" {
			t.Errorf("unexpected span %q", s.Name())
		}
	}
	if n := len(spans.Ended()); n != 1 {
		t.Errorf("%d spans, want 1", n)
	}
	if !strings.Contains(logs.String(), `"route":"GET /v1/things"`) {
		t.Errorf("no access log line for the route:\n%s", logs.String())
	}
}

func TestListenAndServe(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// An address in use fails at once, naming it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if err := ListenAndServe(ctx, ln.Addr().String(), Healthz()); err == nil || !strings.Contains(err.Error(), "listen on "+ln.Addr().String()) {
		t.Errorf("ListenAndServe on a used address = %v", err)
	}

	done := make(chan error, 1)
	go func() { done <- ListenAndServe(ctx, "127.0.0.1:0", Healthz()) }()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("ListenAndServe = %v, want nil after a clean shutdown", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ListenAndServe did not return after ctx was cancelled")
	}
}
