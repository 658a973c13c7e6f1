package e2e

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
	"github.com/sagatrace/sagatrace/workflows"
)

// exitDuplicate is `sagatrace start`'s exit code for a DTID that already
// has a saga (cmd/sagatrace/start.go).
const exitDuplicate = 5

// sagatraceStart runs `sagatrace start` against the shared stack.
func sagatraceStart(t *testing.T, bin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	base := []string{"start", "--temporal-address", shared.stack.Temporal.HostPort(),
		"--otlp-endpoint", "http://" + shared.stack.Jaeger.OTLPHTTPEndpoint(),
		"--customer", "c-e2e", "--profile", "p-e2e"}
	return runSagatrace(t, bin, append(base, args...)...)
}

var runIDLine = regexp.MustCompile(`(?m)^run ID +(\S+)$`)

// A second `sagatrace start` of a DTID — here with another amount — starts
// nothing and says so with its own exit code, naming the saga that exists,
// instead of printing that saga's outcome as the new one's: whether the
// first saga has closed (the reuse policy refuses) or is still running
// (the conflict policy refuses).
func TestStartTwiceWithOneDTIDIsReportedAsADuplicate(t *testing.T) {
	bin := buildSagatrace(t)
	tests := []struct {
		name string
		// first are the first start's flags; the saga is still running
		// when the second start comes if wantRunning.
		first       []string
		wantRunning bool
	}{
		{name: "after_it_completed", first: []string{"--amount", "12.99"}},
		// The charge's latency (under the activity's 10 s timeout) keeps the
		// saga running well past the second start, which is one process
		// start and one RPC away.
		{name: "while_it_runs", first: []string{"--amount", "12.99", "--wait", "0", "--fault", "payment.charge=latency:5s"}, wantRunning: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dtid := ids.NewDTID()
			wfID := workflows.WorkflowID(dtid)
			stdout, stderr, code := sagatraceStart(t, bin, append([]string{"--dtid", dtid}, tt.first...)...)
			if code != 0 {
				t.Fatalf("first start exited %d: %s\n%s", code, stderr, stdout)
			}
			m := runIDLine.FindStringSubmatch(stdout)
			if m == nil {
				t.Fatalf("first start printed no run ID:\n%s", stdout)
			}
			runID := m[1]

			stdout, stderr, code = sagatraceStart(t, bin, "--dtid", dtid, "--amount", "99.00")
			if code != exitDuplicate {
				t.Fatalf("second start exited %d, want %d: %s\n%s", code, exitDuplicate, stderr, stdout)
			}
			for _, want := range []string{"already exists", wfID, runID, "sagatrace trace " + dtid, "temporal workflow show -w " + wfID} {
				if !strings.Contains(stderr, want) {
					t.Errorf("second start's stderr does not say %q:\n%s", want, stderr)
				}
			}
			if strings.Contains(stdout, "Outcome") || strings.Contains(stdout, "run ID") {
				t.Errorf("second start printed a saga as if it had started it:\n%s", stdout)
			}

			desc, err := shared.temporal.DescribeWorkflowExecution(t.Context(), wfID, "")
			if err != nil {
				t.Fatalf("describe %s: %v", wfID, err)
			}
			info := desc.GetWorkflowExecutionInfo()
			running := info.GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
			if running != tt.wantRunning || info.GetExecution().GetRunId() != runID {
				t.Fatalf("after the second start %s is %v, run %s; want running=%v, run %s (the case this test is for)",
					wfID, info.GetStatus(), info.GetExecution().GetRunId(), tt.wantRunning, runID)
			}
			if err := shared.temporal.GetWorkflow(t.Context(), wfID, runID).Get(t.Context(), nil); err != nil {
				t.Fatalf("the first saga did not complete: %v", err)
			}
			payments := paymentsOf(t, dtid)
			if len(payments) != 1 || payments[0].AmountCents != 1299 {
				t.Errorf("payments of dtid %s = %s, want one of 1299 (the second start's 99.00 never used)", dtid, describePayments(payments))
			}
		})
	}
}

func describePayments(ps []paymentapi.Payment) string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = fmt.Sprintf("%s %d %s", p.PaymentID, p.AmountCents, p.State)
	}
	return fmt.Sprintf("%d %v", len(ps), out)
}

// A saga the Temporal CLI started with the DTID as its workflow ID owns
// that DTID too: `sagatrace start --dtid` of it is a duplicate (exit 5),
// not a second saga replaying the first one's steps.
func TestStartOfADTIDTheTemporalCLIStartedIsADuplicate(t *testing.T) {
	bin := buildSagatrace(t)
	dtid := "cli-" + ids.NewDTID()
	in := sagaInput(dtid)
	in.DTID = ""
	if err := startFromCLI(t, dtid, in); err != nil {
		t.Fatalf("the saga the CLI started failed: %v", err)
	}
	awaitOneWorkflowOfDTID(t, dtid)
	stdout, stderr, code := sagatraceStart(t, bin, "--dtid", dtid, "--amount", "12.99")
	if code != exitDuplicate || !strings.Contains(stderr, "workflow ID "+dtid) {
		t.Fatalf("start of the CLI's DTID: exit %d, want %d naming workflow %s\n%s%s", code, exitDuplicate, dtid, stdout, stderr)
	}
	if _, err := shared.temporal.DescribeWorkflowExecution(t.Context(), workflows.WorkflowID(dtid), ""); err == nil {
		t.Errorf("a second saga %s was started for the DTID", workflows.WorkflowID(dtid))
	}
}
