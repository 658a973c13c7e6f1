package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/operator"
	"github.com/sagatrace/sagatrace/workflows"
)

// The operator's queue and batch retry against the real dev server: two
// sagas park (their refunds fail a whole budget), `sagatrace sagas` finds
// them by the SagaStatus attribute, `sagatrace retry-compensation` retries
// both with the saga's Update and they compensate, recording who acted; a
// retry of a saga that is not parked is refused and changes nothing.
func TestParkedSagaQueueAndBatchRetry(t *testing.T) {
	bin := buildSagatrace(t)
	temporalFlags := []string{"--temporal-address", shared.stack.Temporal.HostPort()}
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()

	var parked []string
	var runs []client.WorkflowRun
	for range 2 {
		in := sagaInput(ids.NewDTID())
		in.Faults = map[string]string{"order.create": "error", "payment.refund": fmt.Sprintf("transient:%d", workflows.CompensationAttempts)}
		run, err := shared.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.WorkflowID(in.DTID), TaskQueue: workflows.TaskQueue}, workflows.WorkflowType, in)
		if err != nil {
			t.Fatal(err)
		}
		parked, runs = append(parked, in.DTID), append(runs, run)
	}
	completed := sagaInput(ids.NewDTID())
	if _, err := runSaga(t, completed); err != nil {
		t.Fatal(err)
	}

	// The refunds' budget takes some 25 s of backoff; visibility follows.
	eventually(t, 2*time.Minute, func() (bool, string) {
		sagas, err := operator.List(ctx, shared.temporal, "default", workflows.StatusCompensationFailed, 1000)
		if err != nil {
			return false, err.Error()
		}
		var listed []string
		for _, sg := range sagas {
			listed = append(listed, sg.DTID)
		}
		return slices.Contains(listed, parked[0]) && slices.Contains(listed, parked[1]), fmt.Sprintf("parked sagas listed: %v", listed)
	})
	stdout, stderr, code := runSagatrace(t, bin, append([]string{"sagas", "--json"}, temporalFlags...)...)
	var listed []operator.Saga
	if err := json.Unmarshal([]byte(stdout), &listed); code != 0 || err != nil {
		t.Fatalf("sagatrace sagas: exit %d, %v\n%s%s", code, err, stdout, stderr)
	}
	for _, dtid := range parked {
		i := slices.IndexFunc(listed, func(sg operator.Saga) bool { return sg.DTID == dtid })
		if i < 0 || listed[i].Step != workflows.StepOrder || listed[i].Attempts != workflows.CompensationAttempts || listed[i].LastError == "" {
			t.Errorf("sagatrace sagas does not list %s parked after %d refund attempts with its error: %+v", dtid, workflows.CompensationAttempts, listed)
		}
	}

	// Not parked: a closed saga (Temporal refuses), and one still running
	// its slowed charge (the saga's validator refuses, naming its status).
	running := sagaInput(ids.NewDTID())
	running.Faults = map[string]string{"payment.charge": "latency:5s"}
	if _, err := shared.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.WorkflowID(running.DTID), TaskQueue: workflows.TaskQueue}, workflows.WorkflowType, running); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ dtid, want string }{
		{completed.DTID, "already completed"},
		{running.DTID, "the saga is running, not compensation_failed"},
	} {
		stdout, _, code := runSagatrace(t, bin, append([]string{"retry-compensation", tt.dtid, "--operator", "e2e"}, temporalFlags...)...)
		if code != 1 || !strings.Contains(stdout, tt.want) {
			t.Errorf("retry of a saga that is not parked: exit %d, output %q; want 1 and %q", code, stdout, tt.want)
		}
	}

	stdout, stderr, code = runSagatrace(t, bin, append([]string{"retry-compensation", parked[0], parked[1], "--operator", "e2e"}, temporalFlags...)...)
	if code != 0 || strings.Count(stdout, ": compensated") != 2 || !strings.Contains(stdout, "[2/2]") {
		t.Fatalf("batch retry: exit %d\n%s%s", code, stdout, stderr)
	}
	for i, run := range runs {
		err := run.Get(ctx, nil)
		res := requireCompensatedResult(t, err)
		if len(res.OperatorActions) != 1 || res.OperatorActions[0].Operator != "e2e" || res.OperatorActions[0].Action != workflows.UpdateRetryCompensation {
			t.Errorf("saga %s: operator actions %+v, want the retry by e2e", parked[i], res.OperatorActions)
		}
	}
}
