package httpserver

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/telemetry"
)

func TestServiceHandler(t *testing.T) {
	tp, spans := newRecorderProvider(t)
	var logs bytes.Buffer
	errDown := errors.New("db down")
	var readyErr error
	h := ServiceHandler(Routes{
		"GET /v1/things": func(w http.ResponseWriter, _ *http.Request) error { return WritePage(w, httpapi.Page[int]{}) },
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
		{name: "unknown_path_is_a_problem", path: "/v2/nothing", wantStatus: 404, wantBody: httpapi.TypeRouteNotFound},
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

func TestReadyz(t *testing.T) {
	tests := []struct {
		name  string
		check error
		want  int
	}{
		{name: "ready", want: http.StatusOK},
		{name: "not_ready", check: errors.New("database is locked"), want: http.StatusServiceUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			Readyz(func(context.Context) error { return tt.check }).ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/readyz", nil))
			if w.Code != tt.want {
				t.Errorf("status = %d, want %d", w.Code, tt.want)
			}
		})
	}
}
