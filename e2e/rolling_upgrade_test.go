package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/natsauth"
	"github.com/sagatrace/sagatrace/internal/operator"
	"github.com/sagatrace/sagatrace/services/order/orderapi"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
	"github.com/sagatrace/sagatrace/workflows"
)

// The build IDs of the rolling upgrade: the same code, two versions of
// the sagatrace Worker Deployment.
const (
	buildA = "e2e-build-a"
	buildB = "e2e-build-b"
)

// The upgrade drill: a rolling upgrade from build A to build B on the real
// dev server and stack. Under A, two sagas park (their refunds fail the
// whole budget) and two are in flight (one compensating through failing
// refunds, one completing through a failing scoring publish). B's worker
// starts beside A's without taking anything, `sagatrace deployment
// set-current` makes B current, and A's worker stops. The parked sagas are
// retried and compensate under B, the in-flight ones finish under B, a new
// saga runs on B — each workflow task completed after the switch carries
// B's version, each before it A's — and nothing is lost: every payment of
// a compensated saga is refunded, every completed saga's order confirmed.
func TestRollingUpgradeMovesParkedAndInFlightSagasToTheNewBuild(t *testing.T) {
	bin := buildSagatrace(t)
	up := startOwnStack(t, ownStackConfig{buildID: buildA})
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	start := func(in workflows.Input) client.WorkflowRun {
		t.Helper()
		run, err := up.temporal.ExecuteWorkflow(ctx, workflows.StartOptions(in.DTID, workflows.TaskQueue), workflows.WorkflowType, in)
		if err != nil {
			t.Fatalf("start saga %s: %v", in.DTID, err)
		}
		return run
	}

	// Under A: two sagas park.
	var parked []workflows.Input
	for range 2 {
		in := sagaInput(ids.NewDTID())
		in.Faults = map[string]string{"order.create": "error", "payment.refund": fmt.Sprintf("transient:%d", workflows.CompensationAttempts)}
		start(in)
		parked = append(parked, in)
	}
	eventually(t, 2*time.Minute, func() (bool, string) {
		for _, in := range parked {
			if st := queryState(ctx, t, up.temporal, workflows.WorkflowID(in.DTID)); st.Status != workflows.StatusCompensationFailed {
				return false, fmt.Sprintf("saga %s is %s, want parked (%s)", in.DTID, st.Status, workflows.StatusCompensationFailed)
			}
		}
		return true, ""
	})

	// B's worker polls beside A's, not current: it takes nothing yet.
	startWorkerProcess(t, bin, up, buildB)

	// Under A: two sagas in flight, each in a retry backoff long enough
	// (some 16 s) to outlast the switch — one compensating (its refund
	// succeeds at the budget's last attempt), one at its scoring step
	// (published after 15 failures).
	compensating := sagaInput(ids.NewDTID())
	compensating.Faults = map[string]string{"order.create": "error", "payment.refund": fmt.Sprintf("transient:%d", workflows.CompensationAttempts-1)}
	completing := sagaInput(ids.NewDTID())
	completing.Faults = map[string]string{"scoring.publish": "transient:15"}
	inFlight := []workflows.Input{compensating, completing}
	runs := map[string]client.WorkflowRun{}
	for _, in := range inFlight {
		runs[in.DTID] = start(in)
	}
	eventually(t, time.Minute, func() (bool, string) {
		for _, tt := range []struct {
			in   workflows.Input
			want workflows.Status
		}{{compensating, workflows.StatusCompensating}, {completing, workflows.StatusRunning}} {
			st := queryState(ctx, t, up.temporal, workflows.WorkflowID(tt.in.DTID))
			if st.Status != tt.want || len(st.Hops) == 0 {
				return false, fmt.Sprintf("saga %s is %s with %d hops, want %s past its first hop", tt.in.DTID, st.Status, len(st.Hops), tt.want)
			}
		}
		return true, ""
	})
	// Every workflow task completed so far was A's: B was not current.
	switched := time.Now()

	temporalFlags := []string{"--temporal-address", up.stack.Temporal.HostPort()}
	stdout, stderr, code := runSagatrace(t, bin, append([]string{"deployment", "set-current", "--build-id", buildB, "--operator", "e2e"}, temporalFlags...)...)
	if code != 0 || !strings.Contains(stdout, "(was "+buildA+")") {
		t.Fatalf("sagatrace deployment set-current --build-id %s: exit %d\n%s%s", buildB, code, stdout, stderr)
	}
	if err := up.stack.Worker.Stop(ctx); err != nil {
		t.Fatalf("stop build A's worker: %v", err)
	}
	stopped := time.Now()
	stdout, stderr, code = runSagatrace(t, bin, append([]string{"deployment", "describe", "--json"}, temporalFlags...)...)
	var dep operator.Deployment
	if err := json.Unmarshal([]byte(stdout), &dep); code != 0 || err != nil || dep.CurrentBuildID != buildB ||
		!slices.ContainsFunc(dep.Versions, func(v operator.DeploymentVersion) bool { return v.BuildID == buildA }) {
		t.Fatalf("sagatrace deployment describe: exit %d, %v, %+v; want %s current beside %s\n%s%s", code, err, dep, buildB, buildA, stdout, stderr)
	}

	// The parked sagas are retried (the retry-compensation Update) and
	// compensate under B.
	for _, in := range parked {
		out, err := operator.Act(ctx, up.temporal, workflows.WorkflowID(in.DTID), workflows.UpdateRetryCompensation, workflows.OperatorRequest{Operator: "e2e-upgrade"})
		if err != nil {
			t.Fatalf("retry parked saga %s under build B: %v", in.DTID, err)
		}
		if out.BySignal || out.State.Status == workflows.StatusCompensationFailed {
			t.Errorf("retry of parked saga %s: %+v, want it unparked by the update", in.DTID, out)
		}
		requireCompensatedResult(t, up.temporal.GetWorkflow(ctx, workflows.WorkflowID(in.DTID), "").Get(ctx, nil))
	}
	for _, in := range inFlight {
		err := runs[in.DTID].Get(ctx, nil)
		if in.DTID == compensating.DTID {
			requireCompensatedResult(t, err)
		} else if err != nil {
			t.Fatalf("in-flight saga %s: %v, want completed", in.DTID, err)
		}
	}
	// A new saga runs on B.
	fresh := sagaInput(ids.NewDTID())
	if err := start(fresh).Get(ctx, nil); err != nil {
		t.Fatalf("a saga started after the switch: %v, want completed", err)
	}

	// Who ran what, from each history: the workflow tasks completed
	// before the switch carry A's version, those completed once A's
	// worker stopped B's, and there is at least one of each where the
	// saga lived on both sides.
	for _, in := range append(append(slices.Clone(parked), inFlight...), fresh) {
		tasks := workflowTasks(ctx, t, up.temporal, workflows.WorkflowID(in.DTID))
		var before, after int
		for _, wt := range tasks {
			if wt.behavior != enumspb.VERSIONING_BEHAVIOR_AUTO_UPGRADE {
				t.Errorf("saga %s: a workflow task completed with versioning behaviour %s, want AutoUpgrade", in.DTID, wt.behavior)
			}
			switch {
			case wt.at.Before(switched):
				before++
				if wt.buildID != buildA {
					t.Errorf("saga %s: a workflow task completed at %s before the switch by build %q, want %s", in.DTID, wt.at.Format(time.RFC3339Nano), wt.buildID, buildA)
				}
			case wt.at.After(stopped):
				after++
				if wt.buildID != buildB {
					t.Errorf("saga %s: a workflow task completed at %s after A's worker stopped by build %q, want %s", in.DTID, wt.at.Format(time.RFC3339Nano), wt.buildID, buildB)
				}
			}
		}
		if wantBefore := in.DTID != fresh.DTID; (before > 0) != wantBefore || after == 0 {
			t.Errorf("saga %s: %d workflow tasks under A before the switch, %d under B after it; want some under B and %s under A",
				in.DTID, before, after, map[bool]string{true: "some", false: "none"}[wantBefore])
		}
	}

	// Nothing lost, in the services' own records.
	payments := up.paymentClient()
	for _, in := range append(slices.Clone(parked), compensating) {
		page, err := payments.List(ctx, paymentapi.ListFilter{DTID: in.DTID})
		if err != nil {
			t.Fatalf("list the payments of %s: %v", in.DTID, err)
		}
		if len(page.Items) != 1 || page.Items[0].State != paymentapi.StateRefunded {
			t.Errorf("payments of compensated saga %s: %+v, want its one payment refunded", in.DTID, page.Items)
		}
	}
	orders := up.orderClient()
	for _, in := range []workflows.Input{completing, fresh} {
		page, err := orders.List(ctx, orderapi.ListFilter{DTID: in.DTID})
		if err != nil {
			t.Fatalf("list the orders of %s: %v", in.DTID, err)
		}
		if len(page.Items) != 1 || page.Items[0].State != orderapi.StateConfirmed {
			t.Errorf("orders of completed saga %s: %+v, want its one order confirmed", in.DTID, page.Items)
		}
	}
}

// workflowTask is one completed workflow task of a history: when, and by
// which build with which versioning behaviour.
type workflowTask struct {
	at       time.Time
	buildID  string
	behavior enumspb.VersioningBehavior
}

func workflowTasks(ctx context.Context, t *testing.T, c client.Client, wfID string) []workflowTask {
	t.Helper()
	var out []workflowTask
	it := c.GetWorkflowHistory(ctx, wfID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatalf("history of %s: %v", wfID, err)
		}
		if a := ev.GetWorkflowTaskCompletedEventAttributes(); a != nil {
			out = append(out, workflowTask{at: ev.GetEventTime().AsTime(), buildID: a.GetDeploymentVersion().GetBuildId(), behavior: a.GetVersioningBehavior()})
		}
	}
	return out
}

// startWorkerProcess runs `sagatrace serve worker` of build buildID
// against up's stack, not made current, until the test ends; it returns
// once the server lists the build in the deployment (its workers polled).
func startWorkerProcess(t *testing.T, bin string, up *ownStack, buildID string) {
	t.Helper()
	s := up.stack
	logPath := filepath.Join(t.TempDir(), "worker-"+buildID+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close() // the child holds its own descriptor
	cmd := exec.Command(bin, "serve", "worker", "--build-id", buildID, "--make-current", "never",
		"--temporal-address", s.Temporal.HostPort(), "--nats-url", s.NATS.ClientURL(), "--nats-nkey", s.NATSKeys.Seeds[natsauth.Worker],
		"--payment-url", s.Service(paymentapi.Audience).URL(), "--order-url", s.Service(orderapi.Audience).URL(),
		"--otlp-endpoint", "http://"+s.Jaeger.OTLPHTTPEndpoint(), "--faults", "--auth-key", s.Keys.PrivateKeyFile)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("start build %s's worker: %v", buildID, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("build %s's worker did not stop within 15 s of SIGTERM; its log: %s", buildID, logPath)
		}
	})
	eventually(t, time.Minute, func() (bool, string) {
		select {
		case err := <-exited:
			exited <- err
			b, _ := os.ReadFile(logPath)
			t.Fatalf("build %s's worker exited (%v):\n%s", buildID, err, b)
		default:
		}
		dep, err := operator.DescribeDeployment(t.Context(), up.temporal, operator.DeploymentName)
		if err != nil {
			return false, err.Error()
		}
		return slices.ContainsFunc(dep.Versions, func(v operator.DeploymentVersion) bool { return v.BuildID == buildID }),
			fmt.Sprintf("build %s not in the deployment: %+v", buildID, dep)
	})
}
