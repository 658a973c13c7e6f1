package workflows

import (
	"slices"
	"testing"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
)

// chargeThenScore is a second saga built from the same parts as OrderSaga:
// its own step table (the payment and scoring steps, no order), the same
// engine, the same activities. It proves that a saga is a table plus
// bindings, and that compensation order, budgets and parking come from the
// engine, not from OrderSaga.
func chargeThenScore(ctx workflow.Context, in Input) (Result, error) {
	s := newSaga(ctx, in)
	var table []Step
	for _, st := range OrderSagaSteps() {
		if st.Name != StepOrder {
			table = append(table, st)
		}
	}
	steps, err := s.bind(table)
	if err != nil {
		return s.state, err
	}
	return s.execute(ctx, steps)
}

func TestASecondSagaFromTheSameParts(t *testing.T) {
	tests := []struct {
		name       string
		refuse     string
		flaky      map[string]int
		wantCalls  []string
		wantStatus Status
	}{
		{
			name:       "completes",
			wantCalls:  []string{"payment.charge", "scoring.publish"},
			wantStatus: StatusCompleted,
		},
		{
			name:       "scoring_refused_refunds",
			refuse:     "scoring.publish",
			wantCalls:  []string{"payment.charge", "scoring.publish", "payment.refund"},
			wantStatus: StatusCompensated,
		},
		{
			name:       "charge_retried_within_its_budget",
			flaky:      map[string]int{"payment.charge": StepAttempts - 1},
			wantCalls:  append(slices.Repeat([]string{"payment.charge"}, StepAttempts), "scoring.publish"),
			wantStatus: StatusCompleted,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			if tt.refuse != "" {
				f.refuse[tt.refuse] = true
			}
			for op, n := range tt.flaky {
				f.flaky[op] = n
			}
			var suite testsuite.WorkflowTestSuite
			env := suite.NewTestWorkflowEnvironment()
			env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: WorkflowID(validInput().DTID)})
			env.RegisterWorkflowWithOptions(chargeThenScore, workflow.RegisterOptions{Name: "ChargeThenScore"})
			env.RegisterActivity(f)
			env.ExecuteWorkflow("ChargeThenScore", validInput())

			var res Result
			if tt.wantStatus == StatusCompensated {
				res = requireCompensated(t, env)
			} else {
				res = requireCompleted(t, env)
			}
			if res.Status != tt.wantStatus {
				t.Errorf("status = %s, want %s", res.Status, tt.wantStatus)
			}
			if !slices.Equal(f.calledOps(), tt.wantCalls) {
				t.Errorf("calls = %v, want %v", f.calledOps(), tt.wantCalls)
			}
			if res.OrderID != "" {
				t.Errorf("order ID %q from a saga without an order step", res.OrderID)
			}
		})
	}
}

// The step table is the one source of the operations a fault plan may
// name and of the scopes the worker asks for.
func TestStepTableDerivations(t *testing.T) {
	steps := OrderSagaSteps()
	ops := Operations(steps)
	want := []string{"payment.charge", "payment.refund", "order.create", "order.cancel", "scoring.publish"}
	if len(ops) != len(want) {
		t.Fatalf("operations = %v, want %v", ops, want)
	}
	for i, op := range ops {
		if string(op) != want[i] {
			t.Errorf("operation %d = %s, want %s", i, op, want[i])
		}
	}
	if got := WorkerScopes(steps, "payment"); !slices.Equal(got, []string{"payments:write", "payments:refund", "payments:read"}) {
		t.Errorf("payment scopes = %v", got)
	}
	if got := Audiences(steps); !slices.Equal(got, []string{"payment", "order"}) {
		t.Errorf("audiences = %v", got)
	}
	if st, ok := StepOf(steps, "order.cancel"); !ok || st.Name != StepOrder {
		t.Errorf("StepOf(order.cancel) = %+v, %v", st, ok)
	}
	// Every operation of the table has workflow code bound to it.
	s := &saga{}
	if _, err := s.bind(steps); err != nil {
		t.Error(err)
	}
}
