package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/timeline"
	"github.com/sagatrace/sagatrace/workflows"
)

// compensatedSaga runs a saga whose order step is refused, as
// `sagatrace start --fault order.create=error` does, and returns the
// saga's result: its hops in order (charge, create, refund), with their
// correlation IDs.
func compensatedSaga(t *testing.T) workflows.Result {
	t.Helper()
	in := sagaInput(ids.NewDTID())
	in.Faults = map[string]string{"order.create": "error"}
	_, err := runSaga(t, in)
	res := requireCompensatedResult(t, err)
	if ops := operations(res.Hops); !slices.Equal(ops, []string{"payment.charge", "order.create", "payment.refund"}) {
		t.Fatalf("hops = %v, want charge, create, refund", ops)
	}
	return res
}

// requireCompensatedResult fails t unless err is the saga's
// SagaCompensated failure, and returns the result it carries.
func requireCompensatedResult(t *testing.T, err error) workflows.Result {
	t.Helper()
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || app.Type() != workflows.ErrTypeCompensated {
		t.Fatalf("saga error = %v, want %s", err, workflows.ErrTypeCompensated)
	}
	var res workflows.Result
	if err := app.Details(&res); err != nil {
		t.Fatal(err)
	}
	return res
}

func operations(hops []workflows.Hop) []string {
	out := make([]string, len(hops))
	for i, h := range hops {
		out[i] = h.Operation
	}
	return out
}

// sagatraceTrace runs `sagatrace trace` against the shared stack, with
// extra flags overriding the stack's addresses, and returns its stdout,
// stderr and exit code.
func sagatraceTrace(t *testing.T, bin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	base := []string{"trace", "--temporal-address", shared.stack.Temporal.HostPort(),
		"--jaeger-url", shared.stack.Jaeger.QueryURL(), "--temporal-ui-url", shared.stack.Temporal.UIURL()}
	return runSagatrace(t, bin, append(base, args...)...)
}

// runSagatrace runs the built CLI with args, for at most two minutes (a
// saga's default --wait), and returns its stdout, stderr and exit code.
func runSagatrace(t *testing.T, bin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatalf("sagatrace %s: %v", args[0], err)
	}
	return out.String(), errOut.String(), code
}

// TestTraceCommand runs the built `sagatrace trace` against the shared
// stack (one build for both parts).
func TestTraceCommand(t *testing.T) {
	bin := buildSagatrace(t)
	t.Run("shows_every_hop_of_a_compensated_saga_in_order", func(t *testing.T) { traceShowsCompensatedSaga(t, bin) })
	t.Run("exit_codes_say_what_is_wrong", func(t *testing.T) { traceExitCodes(t, bin) })
}

func traceShowsCompensatedSaga(t *testing.T, bin string) {
	res := compensatedSaga(t)

	// No waiting for Jaeger here: the command itself waits for stragglers.
	stdout, stderr, code := sagatraceTrace(t, bin, res.DTID, "--json", "--wait", "20s")
	if code != 0 {
		t.Fatalf("sagatrace trace --json exited %d: %s", code, stderr)
	}
	var tl timeline.Timeline
	if err := json.Unmarshal([]byte(stdout), &tl); err != nil {
		t.Fatalf("decode --json output: %v\n%s", err, stdout)
	}
	if tl.Status != string(workflows.StatusCompensated) || tl.Workflow == nil || tl.Workflow.ID != workflows.WorkflowID(res.DTID) {
		t.Errorf("status %q, workflow %+v; want compensated, %s", tl.Status, tl.Workflow, workflows.WorkflowID(res.DTID))
	}
	if tl.Amount == nil || tl.Amount.Cents != 1299 || tl.Orchestration == nil {
		t.Errorf("amount %+v, orchestration trace %+v; want 1299 and the saga's trace", tl.Amount, tl.Orchestration)
	}
	want := []struct {
		outcome      timeline.Outcome
		compensation bool
		service      string
	}{{timeline.OutcomeOK, false, "payment"}, {timeline.OutcomeError, false, "order"}, {timeline.OutcomeOK, true, "payment"}}
	if len(tl.Hops) != len(want) {
		t.Fatalf("hops = %d, want %d: %+v", len(tl.Hops), len(want), tl.Hops)
	}
	seen := map[string]bool{}
	for i, h := range tl.Hops {
		sh := res.Hops[i]
		if h.Operation != sh.Operation || h.CorrelationID != sh.CorrelationID || h.Outcome != want[i].outcome ||
			h.Compensation != want[i].compensation || h.Service != want[i].service || !h.InJaeger {
			t.Errorf("hop %d = %s %s %s compensation=%v service=%s in_jaeger=%v; want %s %s %s %v %s",
				i+1, h.Operation, h.CorrelationID, h.Outcome, h.Compensation, h.Service, h.InJaeger,
				sh.Operation, sh.CorrelationID, want[i].outcome, want[i].compensation, want[i].service)
		}
		if seen[h.CorrelationID] || h.CorrelationID == tl.Orchestration.TraceID {
			t.Errorf("hop %d shares trace %s with another hop or the saga", i+1, h.CorrelationID)
		}
		seen[h.CorrelationID] = true
		if i > 0 && h.OffsetMS < tl.Hops[i-1].OffsetMS+tl.Hops[i-1].DurationMS {
			t.Errorf("hop %d starts at %.1f ms, before hop %d ended", i+1, h.OffsetMS, i)
		}
		if !strings.HasSuffix(h.JaegerAPIURL, "/api/traces/"+h.CorrelationID) {
			t.Errorf("hop %d links %s", i+1, h.JaegerAPIURL)
		}
		if tr, err := shared.jaeger.Get(t.Context(), h.CorrelationID); err != nil || !servicesOf(tr)[h.Service] {
			t.Errorf("hop %d: its trace in Jaeger (err %v) has no span of %s", i+1, err, h.Service)
		}
	}
	if !strings.Contains(tl.Hops[1].Error, "order-rejected") {
		t.Errorf("failed order hop says %q, want the service's refusal", tl.Hops[1].Error)
	}

	t.Run("text_shows_the_same_rows_in_order", func(t *testing.T) {
		stdout, stderr, code := sagatraceTrace(t, bin, res.DTID, "--wait", "0")
		if code != 0 {
			t.Fatalf("sagatrace trace exited %d: %s", code, stderr)
		}
		last := 0
		for _, h := range res.Hops {
			i := strings.Index(stdout, h.CorrelationID)
			if i < last {
				t.Errorf("%s (%s) missing or out of order:\n%s", h.Operation, h.CorrelationID, stdout)
			}
			last = i
		}
		t.Logf("sagatrace trace %s:\n%s", res.DTID, stdout)
	})
}

func traceExitCodes(t *testing.T, bin string) {
	known := ids.NewDTID()
	if _, err := runSaga(t, sagaInput(known)); err != nil {
		t.Fatalf("saga failed: %v", err)
	}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantSays string
	}{
		{"unknown_dtid", []string{"no-such-" + ids.NewDTID()}, 1, "unknown DTID"},
		{"jaeger_unreachable", []string{known, "--jaeger-url", "http://127.0.0.1:1"}, 2, "Jaeger at http://127.0.0.1:1 unreachable"},
		{"temporal_unreachable", []string{known, "--temporal-address", "127.0.0.1:1"}, 2, "Temporal at 127.0.0.1:1 unreachable"},
		{"not_a_dtid", []string{`bad"dtid`}, 2, "may hold only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := sagatraceTrace(t, bin, append(tt.args, "--wait", "0")...)
			if code != tt.wantCode || !strings.Contains(stderr, tt.wantSays) {
				t.Errorf("exit %d, stderr %q; want exit %d saying %q", code, stderr, tt.wantCode, tt.wantSays)
			}
		})
	}
}
