package drill

import (
	"slices"

	"github.com/sagatrace/sagatrace/internal/faults"
	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/workflows"
)

// checkExercised fails a saga on which the scenario's fault never landed:
// a fault of the plan that left no failed attempt in saga_state's hops, or
// a race of the drill that did not hit as the scenario needs.
func checkExercised(l Ledger, add addFunc) {
	plan, err := faults.FromMap(l.Faults)
	if err != nil {
		add(InvExercised, "the fault plan cannot be read: %v", err)
		return
	}
	ops := make([]string, 0, len(l.Faults))
	for op := range l.Faults {
		ops = append(ops, op)
	}
	slices.Sort(ops) // violations in a fixed order
	for _, op := range ops {
		f := plan.For(ids.Operation(op))
		if leavesHops(f.Kind) && !failedAttempt(l.Hops, op) {
			add(InvExercised, "fault %s=%s left no failed attempt of %s in saga_state's hops", op, l.Faults[op], op)
		}
	}
	if l.Race != "" && !l.RaceLanded {
		add(InvExercised, "the drill's %s did not land: %s", l.Race, l.Evidence)
	}
}

// leavesHops reports whether a fault of kind k shows in the hops as a
// failed attempt. A latency fault fails nothing: the scenario that slows a
// hop proves its point with its race (the kill, the cancel).
func leavesHops(k faults.Kind) bool { return k != faults.Latency }

// failedAttempt reports whether the hops show an attempt at op that failed:
// a hop that ended in error, or one that succeeded on a later attempt.
func failedAttempt(hops []workflows.Hop, op string) bool {
	return slices.ContainsFunc(hops, func(h workflows.Hop) bool {
		return h.Operation == op && (h.Outcome == "error" || h.Attempt > 1)
	})
}
