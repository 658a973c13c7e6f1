package drill

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/services/order/orderapi"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
	"github.com/sagatrace/sagatrace/services/scoring/scoringapi"
	"github.com/sagatrace/sagatrace/workflows"
)

// Scenario is one failure drill: the fault plan every saga of it carries,
// and what must come of it.
type Scenario struct {
	Name    string
	Summary string
	Faults  map[string]string
	// Want is the outcome every saga of the scenario must reach.
	Want workflows.Status
	// Park: a compensation keeps failing past its retry budget, so each saga must
	// wait in compensation_failed until the drill, once the outage is over,
	// signals retry-compensation.
	Park bool
	// KillWorker: the drill runs a saga worker of its own as a separate
	// process and SIGKILLs it while sagas are in flight on it.
	KillWorker bool
}

// refundOutage is how many refund attempts fail in refund-keeps-failing:
// one more than a compensation's retry budget, so the saga parks, and the first
// attempt after the operator's signal still fails — the retry policy is
// back in charge — before the next one succeeds. Attempt numbers count on
// across the signal (activities.RefundInput.PriorAttempts), which is how
// the outage ends without the drill touching the saga's input.
const refundOutage = workflows.CompensationAttempts + 1

// Scenarios returns every scenario, in the order `--scenario all` runs them.
func Scenarios() []Scenario {
	return []Scenario{
		{Name: "payment-declined", Summary: "the card processor declines: nothing to compensate",
			Faults: faultsOn(fault{paymentapi.OpCharge, "error"}), Want: workflows.StatusCompensated},
		{Name: "order-fails", Summary: "the order is rejected: the payment is refunded",
			Faults: faultsOn(fault{orderapi.OpCreate, "error"}), Want: workflows.StatusCompensated},
		{Name: "scoring-fails", Summary: "the score is refused for good: the order is cancelled, the payment refunded",
			Faults: faultsOn(fault{scoringapi.OpPublish, "error"}), Want: workflows.StatusCompensated},
		{Name: "transient-everywhere", Summary: "every step fails its first 2 attempts (503): retried, completed, charged once",
			Faults: everyStep("transient:2"),
			Want:   workflows.StatusCompleted},
		{Name: "crash-after-commit", Summary: "charge, create and publish commit, then their answer is lost: retries hit the idempotency keys",
			Faults: everyStep("crash-after-commit"),
			Want:   workflows.StatusCompleted},
		{Name: "refund-keeps-failing", Summary: fmt.Sprintf("the order is rejected, refunds fail %d times (budget %d): the saga parks until retry-compensation",
			refundOutage, workflows.CompensationAttempts),
			Faults: faultsOn(fault{orderapi.OpCreate, "error"}, fault{paymentapi.OpRefund, fmt.Sprintf("transient:%d", refundOutage)}),
			Want:   workflows.StatusCompensated, Park: true},
		{Name: "worker-killed", Summary: "a separate worker is SIGKILLed while order.create (slowed 3 s) is in flight; another takes over",
			Faults: faultsOn(fault{orderapi.OpCreate, "latency:3s"}), Want: workflows.StatusCompleted, KillWorker: true},
		{Name: "order-times-out", Summary: "order.create never answers within the activity timeout: given up after its retries, the payment is refunded",
			Faults: faultsOn(fault{orderapi.OpCreate, "timeout"}), Want: workflows.StatusCompensated},
	}
}

// fault is one entry of a scenario's fault plan.
type fault struct {
	op   ids.Operation
	kind string
}

// faultsOn is the saga input's fault plan of faults.
func faultsOn(faults ...fault) map[string]string {
	m := map[string]string{}
	for _, f := range faults {
		m[string(f.op)] = f.kind
	}
	return m
}

// everyStep puts fault on the forward operation of every step of the saga.
func everyStep(kind string) map[string]string {
	m := map[string]string{}
	for _, st := range workflows.OrderSagaSteps() {
		m[string(st.Operation)] = kind
	}
	return m
}

// Names lists the scenario names, for help texts and errors.
func Names() []string {
	var out []string
	for _, s := range Scenarios() {
		out = append(out, s.Name)
	}
	return out
}

// Select returns the scenarios named, in the order given; none or "all"
// selects every one.
func Select(names []string) ([]Scenario, error) {
	if len(names) == 0 || slices.Equal(names, []string{"all"}) {
		return Scenarios(), nil
	}
	all := Scenarios()
	var out []Scenario
	for _, n := range names {
		i := slices.IndexFunc(all, func(s Scenario) bool { return s.Name == n })
		if i < 0 {
			return nil, fmt.Errorf("unknown scenario %q; want all or one of: %s", n, strings.Join(Names(), ", "))
		}
		out = append(out, all[i])
	}
	return out, nil
}
