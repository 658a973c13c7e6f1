package workflows

import (
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"
)

// newEnvWith is newEnv with the saga registered as a worker registers it,
// with opts; run it with env.ExecuteWorkflow(WorkflowType, …).
func newEnvWith(t *testing.T, f *fakeActivities, opts Options) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: WorkflowID(validInput().DTID)})
	RegisterWith(env, opts)
	env.RegisterActivity(f)
	return env
}

// A parked saga retries its failing compensation by itself, a whole budget
// each time, every AutoRetry.Every, without an operator: a refund that
// fails for three budgets (the one before the park and two automatic
// retries: the processor down for twenty minutes) is refunded at the third
// automatic retry. While it waits it is parked,
// says when it retries next, and takes an operator's update.
func TestParkedSagaRetriesByItselfOnItsSchedule(t *testing.T) {
	f := newFake()
	f.refuse["order.create"] = true
	f.flaky["payment.refund"] = 3 * CompensationAttempts
	env := newEnvWith(t, f, Options{AutoRetry: AutoRetry{Every: 10 * time.Minute, For: 24 * time.Hour}})
	waiting := queryAt(t, env, 5*time.Minute)
	env.ExecuteWorkflow(WorkflowType, validInput())

	if waiting.Status != StatusCompensationFailed || waiting.NextAutoRetry == nil {
		t.Errorf("five minutes in: %s, next automatic retry %v; want parked with one due", waiting.Status, waiting.NextAutoRetry)
	}
	res := requireCompensated(t, env)
	if res.AutoRetries != 3 || len(res.OperatorActions) != 0 || res.NextAutoRetry != nil {
		t.Errorf("auto retries %d, operator actions %+v, next %v; want 3 automatic retries and no operator", res.AutoRetries, res.OperatorActions, res.NextAutoRetry)
	}
	if n := countOf(f.calledOps(), "payment.refund"); n != 3*CompensationAttempts+1 {
		t.Errorf("refund attempted %d times, want three failed budgets and the one that refunded (%d)", n, 3*CompensationAttempts+1)
	}
}

// Once AutoRetry.For has passed since the first park, the saga waits for
// an operator alone; no automatic retry starts after the window.
func TestAutomaticRetriesStopAfterTheWindow(t *testing.T) {
	f := newFake()
	f.refuse["order.create"] = true
	f.flaky["payment.refund"] = 1000 // the processor never refunds
	schedule := AutoRetry{Every: 10 * time.Minute, For: time.Hour}
	env := newEnvWith(t, f, Options{AutoRetry: schedule})
	after := queryAt(t, env, 3*time.Hour)
	resolved := sendUpdate(env, 4*time.Hour, UpdateResolveCompensation, OperatorRequest{Operator: "ops@example", Reason: "refunded by hand, ticket 7"})
	env.ExecuteWorkflow(WorkflowType, validInput())

	res := requireCompensated(t, env)
	if after.Status != StatusCompensationFailed || after.NextAutoRetry != nil {
		t.Errorf("two hours after the window: %s, next automatic retry %v; want parked, none due", after.Status, after.NextAutoRetry)
	}
	if max := int32(schedule.For / schedule.Every); after.AutoRetries < 1 || after.AutoRetries > max || res.AutoRetries != after.AutoRetries {
		t.Errorf("automatic retries: %d in the window, %d at the end; want from 1 to %d, none after the window", after.AutoRetries, res.AutoRetries, max)
	}
	if n := countOf(f.calledOps(), "payment.refund"); n != int(1+after.AutoRetries)*CompensationAttempts {
		t.Errorf("refund attempted %d times, want a budget at the park and one per automatic retry (%d)", n, int(1+after.AutoRetries)*CompensationAttempts)
	}
	if resolved.rejected != nil || len(res.OperatorActions) != 1 || !strings.Contains(res.OperatorActions[0].Reason, "ticket 7") {
		t.Errorf("resolve after the window: rejected %v, operator actions %+v; want the resolve taken", resolved.rejected, res.OperatorActions)
	}
}

func TestAutoRetryValidate(t *testing.T) {
	for _, tt := range []struct {
		name string
		a    AutoRetry
		want string
	}{
		{"default", DefaultAutoRetry(), ""},
		{"off", AutoRetry{}, ""},
		{"negative", AutoRetry{Every: -time.Minute, For: time.Hour}, "negative"},
		{"window shorter than a wait", AutoRetry{Every: time.Hour, For: time.Minute}, "shorter than one wait"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.a.Validate()
			if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("Validate(%+v) = %v, want %q", tt.a, err, tt.want)
			}
		})
	}
}
