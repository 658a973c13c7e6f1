package drill

import (
	"fmt"
	"slices"
	"strings"
	"time"

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
	// Race is what the drill itself does to the sagas besides their fault
	// plan; "" for nothing.
	Race Race
}

// Race is a move the drill makes against a scenario's sagas while they run
// or once they ended, each the reproduction of one race of issue 11. Every
// race must be seen to land (InvExercised): a drill whose fault never hit
// proves nothing.
type Race string

// The races. Those that need the drill's own worker process (a kill, a
// proxy in front of the payment service or NATS) run their sagas on a task
// queue of their own, which no other worker polls.
const (
	// RaceKillWorker SIGKILLs the drill's worker while activities are in
	// flight on it, again with each replacement until a kill lands so.
	RaceKillWorker Race = "kill-worker"
	// RaceCancelMidCharge cancels each saga (CancelWorkflow) while its
	// charge, slowed, is in flight.
	RaceCancelMidCharge Race = "cancel-mid-charge"
	// RaceLateCharge charges each compensated saga's DTID again, straight
	// at the payment service with a new idempotency key.
	RaceLateCharge Race = "late-charge"
	// RaceDuplicateDTID starts, after each saga completed, a second
	// workflow under another workflow ID naming the same DTID.
	RaceDuplicateDTID Race = "duplicate-dtid"
	// RaceTokenExpires makes the payment service see an expired token on
	// the retry of a charge that committed and lost its answer.
	RaceTokenExpires Race = "token-expires"
	// RaceScoringOutage cuts the worker off NATS for scoringOutage while
	// every saga waits to publish.
	RaceScoringOutage Race = "scoring-outage"
	// RaceAckLost drops the first lostAcks PubAcks of each saga's score
	// event between NATS and the worker.
	RaceAckLost Race = "ack-lost"
)

// perSaga reports whether the race must land on every saga; a worker
// kill lands on whichever sagas had activities in flight on it, and must
// land once.
func (r Race) perSaga() bool { return r != RaceKillWorker }

// ownWorker reports whether the race needs the drill's own worker process.
func (r Race) ownWorker() bool {
	return r == RaceKillWorker || r == RaceTokenExpires || r == RaceScoringOutage || r == RaceAckLost
}

// lostAcks is how many PubAcks of each event publish-ack-lost drops: one
// for every attempt of a step's budget, so a scoring step that gave up
// after a budget would undo a paid order whose event the stream counted
// (the race of issue 11). Each costs an attempt that waits out its
// timeout (10 s).
const lostAcks = workflows.StepAttempts

// chargeLatency slows the charge in cancel-mid-charge; cancelAfter is when,
// after the charge started, the drill cancels the saga: well inside it.
const (
	chargeLatency = 3 * time.Second
	cancelAfter   = time.Second
)

// scoringOutage is how long scoring-unavailable keeps NATS away from the
// worker: longer than an activity's timeout (10 s), so that each saga's
// publish fails and is retried more than once while the stream is away.
const scoringOutage = 30 * time.Second

// refundOutage is how many refund attempts fail in refund-keeps-failing:
// one more than a compensation's retry budget, so the saga parks, and the first
// attempt after the operator's signal still fails — the retry policy is
// back in charge — before the next one succeeds. Attempt numbers count on
// across the signal (activities.CompensationInput.PriorAttempts), which is how
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
		{Name: "worker-killed", Summary: "the drill's worker is SIGKILLed while order.create (slowed 3 s) is in flight on it; another takes over",
			Faults: faultsOn(fault{orderapi.OpCreate, "latency:3s"}), Want: workflows.StatusCompleted, Race: RaceKillWorker},
		{Name: "order-times-out", Summary: "order.create never answers within the activity timeout: given up after its retries, the payment is refunded",
			Faults: faultsOn(fault{orderapi.OpCreate, "timeout"}), Want: workflows.StatusCompensated},
		{Name: "cancel-mid-charge", Summary: fmt.Sprintf("each saga is cancelled %s into its charge (slowed %s): refunded by DTID, the late charge refused, nothing taken", cancelAfter, chargeLatency),
			Faults: faultsOn(fault{paymentapi.OpCharge, "latency:" + chargeLatency.String()}), Want: workflows.StatusCompensated, Race: RaceCancelMidCharge},
		{Name: "late-charge-after-undo", Summary: "the order is rejected, the payment refunded; then a charge of the DTID under a new key: 409 dtid-voided, nothing written",
			Faults: faultsOn(fault{orderapi.OpCreate, "error"}), Want: workflows.StatusCompensated, Race: RaceLateCharge},
		{Name: "duplicate-dtid", Summary: "a completed saga's DTID is started again under another workflow ID, with scoring.publish=error: refused as invalid input, the first saga untouched",
			Faults: map[string]string{}, Want: workflows.StatusCompleted, Race: RaceDuplicateDTID},
		{Name: "token-expires-mid-retry", Summary: "the charge commits and loses its answer; its retry carries an expired token (401): retried again, completed, charged once",
			Faults: faultsOn(fault{paymentapi.OpCharge, "crash-after-commit"}), Want: workflows.StatusCompleted, Race: RaceTokenExpires},
		{Name: "scoring-unavailable", Summary: fmt.Sprintf("NATS is cut off from the worker for %s while every saga publishes: they wait and complete, nothing undone, scored once", scoringOutage),
			Faults: map[string]string{}, Want: workflows.StatusCompleted, Race: RaceScoringOutage},
		{Name: "publish-ack-lost", Summary: fmt.Sprintf("the stream stores each score event, its PubAck is lost %d times: the publish is retried, deduplicated by its event ID, completed, scored once", lostAcks),
			Faults: map[string]string{}, Want: workflows.StatusCompleted, Race: RaceAckLost},
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
