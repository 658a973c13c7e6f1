package drill

import (
	"fmt"

	"github.com/sagatrace/sagatrace/activities"
	"github.com/sagatrace/sagatrace/internal/jaegerquery"
	"github.com/sagatrace/sagatrace/services/order/orderapi"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
	"github.com/sagatrace/sagatrace/services/scoring/scoringapi"
	"github.com/sagatrace/sagatrace/workflows"
)

// The invariants, by the names the report prints.
const (
	// InvOutcome: the saga settled (completed or compensated) as its
	// scenario expects, and parked first when the scenario breaks its compensation.
	InvOutcome = "outcome"
	// InvMoney: net money taken equals the amount if and only if the order
	// is confirmed, and is zero otherwise.
	InvMoney = "money"
	// InvOrderPaid: no confirmed order without a completed payment, and no
	// more than one confirmed order.
	InvOrderPaid = "order-paid"
	// InvChargeAccounted: no charge without either a confirmed order or a
	// refund, and no payment left half-way.
	InvChargeAccounted = "charge-accounted"
	// InvScoredOnce: a completed saga scored exactly once, a compensated one never.
	InvScoredOnce = "scored-once"
	// InvTraced: every hop attempt the saga and the services recorded has a
	// trace in Jaeger carrying the DTID.
	InvTraced = "traced"
	// InvExercised: the scenario's fault landed on the saga — each fault of
	// its plan shows in saga_state's hops, and the drill's race hit as it
	// must (the cancel while the charge was in flight, the late charge
	// refused, …). A drill whose fault never landed proves nothing.
	InvExercised = "exercised"
	// InvLinked: every hop trace's root span links to a RunActivity span of
	// the saga's orchestration trace.
	InvLinked = "linked"
	// InvDTIDTagged: every span of every trace of the transaction carries
	// the dtid attribute, so a search by it finds each of them.
	InvDTIDTagged = "dtid-tagged"
	// InvSemconv: the HTTP hops carry the HTTP client and server semantic
	// conventions, the scoring hop the messaging ones.
	InvSemconv = "semconv"
)

// Ledger is everything known about one saga once it ended: what the drill
// asked for and saw, and what the services, Temporal and Jaeger hold for
// its DTID. Check judges it without any I/O, so a test can hand it a
// deliberately broken ledger.
type Ledger struct {
	DTID        string
	AmountCents int64
	// ScoreDelta is what a completed saga adds to its (fresh) profile.
	ScoreDelta int64
	// Want is the outcome the scenario expects; "" accepts either
	// completed or compensated.
	Want workflows.Status
	// WantParked: the scenario breaks a compensation, so the saga must be seen
	// waiting in compensation_failed before the operator's signal.
	WantParked bool
	// Outcome is the saga's last known status ("" when never known).
	Outcome workflows.Status
	// Error says why the drill lost track of the saga, if it did.
	Error string
	// Parked: seen in compensation_failed, its workflow still open.
	Parked bool
	// ParkedEvent: the hop trace of the compensation's last failed attempt has the
	// saga.compensation_failed span event.
	ParkedEvent bool
	// Hops are saga_state's hops.
	Hops     []workflows.Hop
	Payments []paymentapi.Payment
	Orders   []orderapi.Order
	// Score of the saga's profile; nil when the scoring service has none.
	Score *scoringapi.Score
	// ScoreShared says why Score cannot be pinned on this DTID (other
	// transactions scored the same profile), so scored-once is not judged.
	// The drill uses a fresh profile per saga and leaves it empty.
	ScoreShared string
	// TraceData holds the DTID's traces themselves, for the span
	// invariants (linked, dtid-tagged, semconv); nil skips them.
	TraceData []jaegerquery.Trace
	// Traces holds the IDs of the traces Jaeger finds by the DTID tag.
	Traces map[string]bool
	// AbandonedTrace is the trace of a hop the saga abandoned in flight
	// when it was cancelled, as the drill found it at the service: saga_state
	// records that hop without a correlation ID (its answer never came).
	AbandonedTrace string
	// Faults is the saga's fault plan; each fault must show in Hops.
	Faults map[string]string
	// Race is the drill's move against this saga ("" none); RaceLanded says
	// it landed as the scenario needs, Evidence what the drill saw of it.
	Race       Race
	RaceLanded bool
	Evidence   string
}

// Violation is one broken invariant of one saga.
type Violation struct {
	DTID      string
	Invariant string
	Detail    string
}

// Check returns every invariant l breaks, in a fixed order.
func Check(l Ledger) []Violation {
	var out []Violation
	add := func(inv, format string, args ...any) {
		out = append(out, Violation{DTID: l.DTID, Invariant: inv, Detail: fmt.Sprintf(format, args...)})
	}
	checkOutcome(l, add)
	checkMoney(l, add)
	checkOrderPaid(l, add)
	checkChargeAccounted(l, add)
	checkScoredOnce(l, add)
	checkTraced(l, add)
	checkExercised(l, add)
	if l.TraceData != nil {
		checkSpans(l, add)
	}
	return out
}

type addFunc func(inv, format string, args ...any)

func settled(s workflows.Status) bool {
	return s == workflows.StatusCompleted || s == workflows.StatusCompensated
}

func checkOutcome(l Ledger, add addFunc) {
	switch {
	case l.Error != "":
		add(InvOutcome, "the drill lost track of the saga: %s", l.Error)
	case !settled(l.Outcome):
		add(InvOutcome, "did not settle: status %q", l.Outcome)
	case l.Want != "" && l.Outcome != l.Want:
		add(InvOutcome, "ended %s, the scenario expects %s", l.Outcome, l.Want)
	}
	if l.WantParked && !l.Parked {
		add(InvOutcome, "never seen waiting in %s with its workflow open", workflows.StatusCompensationFailed)
	}
	if l.WantParked && !l.ParkedEvent {
		add(InvOutcome, "the hop trace of the failing compensation has no %q span event", activities.EventCompensationParked)
	}
}
