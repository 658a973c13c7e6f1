package drill

import (
	"strings"
	"testing"

	"github.com/sagatrace/sagatrace/internal/faults"
	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/workflows"
)

// Every scenario's plan must be one the saga accepts, and its transient
// faults must fit the budgets the way the scenario relies on.
func TestScenariosArePlansTheSagaAccepts(t *testing.T) {
	seen := map[string]bool{}
	for _, sc := range Scenarios() {
		t.Run(sc.Name, func(t *testing.T) {
			if seen[sc.Name] {
				t.Fatalf("scenario %s listed twice", sc.Name)
			}
			seen[sc.Name] = true
			in := workflows.Input{DTID: "d-1", CustomerID: "c", ProfileID: "p", AmountCents: 100, Currency: "EUR",
				Items: []workflows.Item{{SKU: "s", Qty: 1, PriceCents: 100}}, Faults: sc.Faults}
			if err := in.Validate("d-1"); err != nil {
				t.Fatalf("the saga refuses the plan: %v", err)
			}
			plan, err := faults.FromMap(sc.Faults)
			if err != nil {
				t.Fatal(err)
			}
			for op := range sc.Faults {
				f := plan.For(ids.Operation(op))
				if f.Kind != faults.Transient {
					continue
				}
				st, ok := workflows.StepOf(workflows.OrderSagaSteps(), ids.Operation(op))
				if !ok {
					t.Fatalf("%s is no operation of the step table", op)
				}
				isCompensation := st.Compensation == ids.Operation(op)
				switch {
				case !isCompensation && f.Attempts >= workflows.StepAttempts:
					t.Errorf("%s=%s outlasts the step budget of %d: the saga could not complete", op, f, workflows.StepAttempts)
				case isCompensation && sc.Park && f.Attempts <= workflows.CompensationAttempts:
					t.Errorf("%s=%s ends within the compensation budget of %d: the saga would never park", op, f, workflows.CompensationAttempts)
				}
			}
		})
	}
}

func TestSelect(t *testing.T) {
	tests := []struct {
		name    string
		in      []string
		want    int
		wantErr string
	}{
		{"none_is_all", nil, len(Scenarios()), ""},
		{"all", []string{"all"}, len(Scenarios()), ""},
		{"two_in_order", []string{"worker-killed", "order-fails"}, 2, ""},
		{"unknown", []string{"order-fail"}, 0, "order-fails"}, // the error lists the names
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Select(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one naming %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || len(got) != tt.want || (len(tt.in) == 2 && got[0].Name != tt.in[0]) {
				t.Fatalf("Select(%v) = %d scenarios, %v", tt.in, len(got), err)
			}
		})
	}
}

// A scenario must be able to show that its fault landed: a fault of its
// plan that leaves a failed attempt in the hops, or a race of the drill's
// own — a latency alone proves nothing.
func TestEveryScenarioCanProveItsFault(t *testing.T) {
	for _, sc := range Scenarios() {
		t.Run(sc.Name, func(t *testing.T) {
			if sc.Race != "" {
				return
			}
			if !provable(Ledger{Faults: sc.Faults}) {
				t.Errorf("plan %v leaves nothing in the hops and the scenario has no race: its fault could never be seen to land", sc.Faults)
			}
		})
	}
}
