package httpapi

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sagatrace/sagatrace/internal/ids"
)

func TestParseFaults(t *testing.T) {
	tests := []struct {
		name    string
		plan    string
		want    string
		wantErr bool
	}{
		{name: "empty", plan: "", want: ""},
		{name: "one", plan: "payment.charge=error", want: "payment.charge=error"},
		{name: "two_with_spaces", plan: " order.create = error , payment.refund=error,", want: "order.create=error,payment.refund=error"},
		{name: "no_kind", plan: "payment.charge=", wantErr: true},
		{name: "no_equals", plan: "payment.charge", wantErr: true},
		{name: "no_service", plan: "charge=error", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ParseFaults(tt.plan)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseFaults(%q) error = %v", tt.plan, err)
			}
			if err == nil && f.String() != tt.want {
				t.Errorf("plan = %q, want %q", f.String(), tt.want)
			}
		})
	}
}

func TestFaultGate(t *testing.T) {
	req := func(plan string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.Header.Set(ids.HeaderFaults, plan)
		return r
	}
	t.Run("enabled_honours_plan", func(t *testing.T) {
		g := &FaultGate{Enabled: true}
		f, err := g.Plan(req("payment.charge=error"))
		if err != nil || !f.Has("payment.charge", FaultError) {
			t.Fatalf("Plan = %v, %v", f, err)
		}
	})
	t.Run("enabled_rejects_malformed", func(t *testing.T) {
		g := &FaultGate{Enabled: true}
		_, err := g.Plan(req("payment.charge"))
		var e *Error
		if !errors.As(err, &e) || e.Kind != KindInvalid {
			t.Fatalf("err = %v, want KindInvalid", err)
		}
	})
	t.Run("disabled_ignores_and_warns_once", func(t *testing.T) {
		var logs bytes.Buffer
		g := &FaultGate{Logger: slog.New(slog.NewTextHandler(&logs, nil))}
		for range 3 {
			f, err := g.Plan(req("payment.charge=error"))
			if err != nil || len(f) != 0 {
				t.Fatalf("Plan = %v, %v; want an empty plan", f, err)
			}
		}
		if n := strings.Count(logs.String(), "fault injection is disabled"); n != 1 {
			t.Errorf("warnings = %d, want 1:\n%s", n, logs.String())
		}
	})
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
