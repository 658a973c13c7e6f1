package faulthttp

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sagatrace/sagatrace/internal/faults"
	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/httpserver"
	"github.com/sagatrace/sagatrace/internal/ids"
)

func TestGate(t *testing.T) {
	req := func(plan, attempt string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.Header.Set(ids.HeaderFaults, plan)
		if attempt != "" {
			r.Header.Set(faults.HeaderAttempt, attempt)
		}
		return r
	}
	t.Run("enabled_honours_plan_and_attempt", func(t *testing.T) {
		g := &Gate{Enabled: true}
		f, err := g.Plan(req("payment.charge=transient:2", "3"))
		if err != nil || f.For("payment.charge").Kind != faults.Transient || f.Attempt() != 3 {
			t.Fatalf("Plan = %v (attempt %d), %v", f, f.Attempt(), err)
		}
	})
	for _, tt := range []struct{ name, plan, attempt string }{
		{"enabled_rejects_malformed_plan", "payment.charge", ""},
		{"enabled_rejects_unknown_kind", "payment.charge=sometimes", ""},
		{"enabled_rejects_malformed_attempt", "payment.charge=error", "first"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g := &Gate{Enabled: true}
			_, err := g.Plan(req(tt.plan, tt.attempt))
			var e *httpserver.Error
			if !errors.As(err, &e) || e.Kind != httpserver.KindInvalid || e.Type != httpapi.TypeInvalidFaults {
				t.Fatalf("err = %v, want KindInvalid %s", err, httpapi.TypeInvalidFaults)
			}
		})
	}
	t.Run("caller_not_permitted_is_ignored_and_warned_once", func(t *testing.T) {
		var logs bytes.Buffer
		permitted := false
		g := &Gate{Enabled: true, Permit: func(context.Context) bool { return permitted },
			PermitHint: "the faults:inject scope", Logger: slog.New(slog.NewTextHandler(&logs, nil))}
		ignoredAndWarnedOnce(t, g, req("payment.charge=error", "1"), &logs, "lacks the faults:inject scope")
		permitted = true
		if f, err := g.Plan(req("payment.charge=error", "1")); err != nil || !f.Has("payment.charge", faults.Error) {
			t.Errorf("permitted caller: Plan = %v, %v", f, err)
		}
	})
	t.Run("disabled_ignores_and_warns_once", func(t *testing.T) {
		var logs bytes.Buffer
		g := &Gate{Logger: slog.New(slog.NewTextHandler(&logs, nil))}
		ignoredAndWarnedOnce(t, g, req("payment.charge=error", "1"), &logs, "fault injection is disabled")
	})
}

// ignoredAndWarnedOnce asks g three times for the plan r carries: each
// time the plan must be ignored (empty, no error), and logs, where g logs,
// must hold warning once, not once a request.
func ignoredAndWarnedOnce(t *testing.T, g *Gate, r *http.Request, logs *bytes.Buffer, warning string) {
	t.Helper()
	for range 3 {
		f, err := g.Plan(r)
		if err != nil || f.Len() != 0 {
			t.Fatalf("Plan = %v, %v; want an empty plan", f, err)
		}
	}
	if n := strings.Count(logs.String(), warning); n != 1 {
		t.Errorf("warnings = %d, want 1:\n%s", n, logs.String())
	}
}

func TestInjectBefore(t *testing.T) {
	tests := []struct {
		name     string
		plan     string
		attempt  int
		wantKind httpserver.Kind // httpserver.KindInternal: no error
		wantErr  bool
	}{
		{name: "no_fault", plan: "order.create=error", attempt: 1},
		{name: "error_is_the_operations_business", plan: "payment.charge=error", attempt: 1},
		{name: "transient_attempt_within_n_is_503", plan: "payment.charge=transient:2", attempt: 2, wantKind: httpserver.KindUnavailable, wantErr: true},
		{name: "transient_attempt_past_n_goes_on", plan: "payment.charge=transient:2", attempt: 3},
		{name: "transient_without_attempt_is_400", plan: "payment.charge=transient:2", attempt: 0, wantKind: httpserver.KindInvalid, wantErr: true},
		{name: "latency_goes_on", plan: "payment.charge=latency:5ms", attempt: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := faults.Parse(tt.plan)
			if err != nil {
				t.Fatal(err)
			}
			err = InjectBefore(context.Background(), p.WithAttempt(tt.attempt), "payment.charge")
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("InjectBefore = %v, want nil", err)
				}
				return
			}
			var e *httpserver.Error
			if !errors.As(err, &e) || e.Kind != tt.wantKind {
				t.Fatalf("InjectBefore = %v, want kind %d", err, tt.wantKind)
			}
		})
	}
}

func TestAnswerCrashIsABodyless500(t *testing.T) {
	w := httptest.NewRecorder()
	AnswerCrash(w, httptest.NewRequest(http.MethodPost, "/v1/payments", nil), "payment.charge")
	if w.Code != http.StatusInternalServerError || w.Body.Len() != 0 {
		t.Errorf("answer = %d with %d bytes, want 500 without a body", w.Code, w.Body.Len())
	}
}
