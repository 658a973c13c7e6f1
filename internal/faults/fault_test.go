package faults

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sagatrace/sagatrace/internal/ids"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		plan    string
		want    string
		wantErr string
	}{
		{name: "empty", plan: "", want: ""},
		{name: "error", plan: "payment.charge=error", want: "payment.charge=error"},
		{name: "every_kind_sorted", plan: " order.create = transient:2 , payment.refund=latency:1500ms, payment.charge=crash-after-commit,order.cancel=timeout,",
			want: "order.cancel=timeout,order.create=transient:2,payment.charge=crash-after-commit,payment.refund=latency:1.5s"},
		{name: "no_kind", plan: "payment.charge=", wantErr: "unknown fault kind"},
		{name: "no_equals", plan: "payment.charge", wantErr: "operation=kind"},
		{name: "no_service", plan: "charge=error", wantErr: "operation=kind"},
		{name: "unknown_kind", plan: "payment.charge=eror", wantErr: `unknown fault kind "eror"`},
		{name: "transient_without_n", plan: "payment.charge=transient", wantErr: "transient:N"},
		{name: "transient_zero", plan: "payment.charge=transient:0", wantErr: "transient:N"},
		{name: "transient_too_many", plan: "payment.charge=transient:101", wantErr: "transient:N"},
		{name: "latency_not_a_duration", plan: "payment.charge=latency:soon", wantErr: "latency:D"},
		{name: "latency_too_long", plan: "payment.charge=latency:2h", wantErr: "latency:D"},
		{name: "error_with_parameter", plan: "payment.charge=error:3", wantErr: "takes no parameter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse(tt.plan)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse(%q) error = %v, want one containing %q", tt.plan, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.plan, err)
			}
			if p.String() != tt.want {
				t.Errorf("plan = %q, want %q", p.String(), tt.want)
			}
		})
	}
}

func TestFromMapFormatsSorted(t *testing.T) {
	m := map[string]string{"order.create": "transient:3", "payment.charge": "latency:10ms"}
	if got, want := Format(m), "order.create=transient:3,payment.charge=latency:10ms"; got != want {
		t.Errorf("Format = %q, want %q", got, want)
	}
	p, err := FromMap(m)
	if err != nil {
		t.Fatal(err)
	}
	if f := p.For("order.create"); f.Kind != Transient || f.Attempts != 3 {
		t.Errorf("order.create = %+v", f)
	}
	if !p.For("scoring.publish").None() {
		t.Error("an operation without a fault has one")
	}
}

func TestBefore(t *testing.T) {
	tests := []struct {
		name    string
		fault   string
		attempt int
		wantErr error // nil: the operation goes on
	}{
		{name: "no_fault", fault: "", attempt: 1},
		{name: "error_is_left_to_the_operation", fault: "error", attempt: 1},
		{name: "crash_is_left_to_the_operation", fault: "crash-after-commit", attempt: 1},
		{name: "transient_fails_first_attempt", fault: "transient:2", attempt: 1, wantErr: ErrTransient},
		{name: "transient_fails_attempt_n", fault: "transient:2", attempt: 2, wantErr: ErrTransient},
		{name: "transient_lets_attempt_n_plus_1_through", fault: "transient:2", attempt: 3},
		{name: "transient_without_attempt", fault: "transient:2", attempt: 0, wantErr: ErrNoAttempt},
		{name: "latency_then_goes_on", fault: "latency:20ms", attempt: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f Fault
			if tt.fault != "" {
				var err error
				if f, err = ParseFault(tt.fault); err != nil {
					t.Fatal(err)
				}
			}
			start := time.Now()
			err := f.Before(context.Background(), tt.attempt)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("Before = %v, want %v", err, tt.wantErr)
			}
			if took := time.Since(start); took < f.Delay {
				t.Errorf("returned after %s, before the latency of %s", took, f.Delay)
			}
		})
	}
}

// A timeout holds the answer until the caller gives up, and no longer:
// the activity's deadline ends it, not MaxHold.
func TestBeforeTimeoutHoldsUntilTheCallerGivesUp(t *testing.T) {
	tests := []struct {
		name  string
		fault string
	}{
		{name: "timeout", fault: "timeout"},
		{name: "latency_longer_than_the_deadline", fault: "latency:1m"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ParseFault(tt.fault)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			start := time.Now()
			err = f.Before(ctx, 1)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Before = %v, want the caller's deadline", err)
			}
			if f.Kind == Timeout && !errors.Is(err, ErrTimeout) {
				t.Errorf("Before = %v, want ErrTimeout too", err)
			}
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("held for %s after the caller gave up", took)
			}
		})
	}
}

func TestContextCarriesPlanAndAttemptIntoHeaders(t *testing.T) {
	ctx := WithAttempt(WithPlan(context.Background(), "order.create=transient:2"), 3)
	h := http.Header{}
	SetHeaders(ctx, h)
	if h.Get(ids.HeaderFaults) != "order.create=transient:2" || h.Get(HeaderAttempt) != "3" {
		t.Errorf("headers = %v", h)
	}
	empty := http.Header{}
	SetHeaders(context.Background(), empty)
	if len(empty) != 0 {
		t.Errorf("a context without faults added headers: %v", empty)
	}
}

func TestParseAttempt(t *testing.T) {
	tests := []struct {
		in      string
		want    int
		wantErr bool
	}{
		{"", 0, false}, {"1", 1, false}, {"12", 12, false},
		{"0", 0, true}, {"-1", 0, true}, {"two", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseAttempt(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("ParseAttempt(%q) = %d, %v", tt.in, got, err)
		}
	}
}
