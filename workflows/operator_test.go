package workflows

import (
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"
)

// update sends an operator update at delay and records what came of it.
type update struct {
	rejected error
	state    State
	done     bool
}

func sendUpdate(env *testsuite.TestWorkflowEnvironment, delay time.Duration, name string, req OperatorRequest) *update {
	u := &update{}
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(name, name+"-"+delay.String(), &testsuite.TestUpdateCallback{
			OnAccept: func() {},
			OnReject: func(err error) { u.rejected = err },
			OnComplete: func(v any, err error) {
				u.done = true
				if s, ok := v.(State); ok {
					u.state = s
				}
			},
		}, req)
	}, delay)
	return u
}

// queryAt records the saga's state at delay.
func queryAt(t *testing.T, env *testsuite.TestWorkflowEnvironment, delay time.Duration) *State {
	st := &State{}
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(QuerySagaState)
		if err == nil {
			err = v.Get(st)
		}
		if err != nil {
			t.Errorf("query at %s: %v", delay, err)
		}
	}, delay)
	return st
}

// An update to a saga that is not parked is refused, says why, and
// changes nothing.
func TestOperatorUpdateRefusedUnlessParked(t *testing.T) {
	f := newFake()
	f.flaky["order.create"] = 2 // the saga is running, in a retry's backoff, when the update comes
	env := newEnv(t, f)
	u := sendUpdate(env, 100*time.Millisecond, UpdateRetryCompensation, OperatorRequest{Operator: "ops@example"})
	env.ExecuteWorkflow(OrderSaga, validInput())
	res := requireCompleted(t, env)
	if u.rejected == nil || !strings.Contains(u.rejected.Error(), "not compensation_failed") {
		t.Errorf("update on a running saga: rejected = %v, want a refusal naming the status", u.rejected)
	}
	if res.Status != StatusCompleted || len(res.OperatorActions) != 0 {
		t.Errorf("result = %s with operator actions %v, want completed with none", res.Status, res.OperatorActions)
	}
}

// A signal sent while the saga was not parked is not spent by a later
// park: the saga stays parked until an operator acts while it is parked.
func TestEarlySignalIsNotSpentByALaterPark(t *testing.T) {
	f := newFake()
	f.refuse["order.create"] = true
	f.flaky["payment.refund"] = CompensationAttempts // exhausts the budget once
	env := newEnv(t, f)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalRetryCompensation, nil) }, time.Millisecond)
	parked := queryAt(t, env, time.Hour)
	u := sendUpdate(env, 2*time.Hour, UpdateRetryCompensation, OperatorRequest{Operator: "ops@example"})
	env.ExecuteWorkflow(OrderSaga, validInput())

	if parked.Status != StatusCompensationFailed {
		t.Fatalf("an hour after the early signal the saga is %q, want still %s", parked.Status, StatusCompensationFailed)
	}
	res := requireCompensated(t, env)
	if u.rejected != nil || !u.done || u.state.Status != StatusCompensated {
		t.Errorf("retry update: rejected %v, done %v, answered %s; want accepted and answered compensated", u.rejected, u.done, u.state.Status)
	}
	if len(res.OperatorActions) != 1 || res.OperatorActions[0].Operator != "ops@example" || res.OperatorActions[0].Step != StepPayment {
		t.Errorf("operator actions = %+v, want the one retry by ops@example on step payment", res.OperatorActions)
	}
}

// Resolving by hand needs a reason; with one, the saga records who did it
// and why and goes on without retrying the compensation.
func TestResolveCompensationByHand(t *testing.T) {
	f := newFake()
	f.refuse["order.create"] = true
	f.flaky["payment.refund"] = 1000 // the processor never refunds
	env := newEnv(t, f)
	noReason := sendUpdate(env, time.Hour, UpdateResolveCompensation, OperatorRequest{Operator: "ops@example"})
	resolved := sendUpdate(env, 2*time.Hour, UpdateResolveCompensation, OperatorRequest{Operator: "ops@example", Reason: "refunded by hand in the processor's dashboard, ticket 42"})
	env.ExecuteWorkflow(OrderSaga, validInput())

	res := requireCompensated(t, env)
	if noReason.rejected == nil || !strings.Contains(noReason.rejected.Error(), "reason") {
		t.Errorf("resolve without a reason: rejected = %v, want a refusal naming the reason", noReason.rejected)
	}
	if resolved.rejected != nil || !resolved.done {
		t.Errorf("resolve with a reason: rejected %v, done %v", resolved.rejected, resolved.done)
	}
	if len(res.OperatorActions) != 1 || res.OperatorActions[0].Action != UpdateResolveCompensation || !strings.Contains(res.OperatorActions[0].Reason, "ticket 42") {
		t.Errorf("operator actions = %+v, want the resolve with its reason", res.OperatorActions)
	}
	if n := countOf(f.calledOps(), "payment.refund"); n != CompensationAttempts {
		t.Errorf("refund attempted %d times, want the one budget %d and none after the resolve", n, CompensationAttempts)
	}
}
