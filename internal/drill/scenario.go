package drill

import (
	"cmp"
	"context"
	"fmt"
	"time"

	"github.com/sagatrace/sagatrace/internal/faults"
	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/workflows"
)

// scenario runs one scenario's sagas, reads back what they left behind
// and checks it.
func (d *driver) scenario(ctx context.Context, sc Scenario) (ScenarioReport, error) {
	fmt.Fprintf(d.progress, "drill %s: %d sagas, %d at a time, faults %s\n  %s\n",
		sc.Name, d.o.Sagas, d.o.Concurrency, cmp.Or(faults.Format(sc.Faults), "none"), sc.Summary)
	since := time.Now()
	inputs := d.inputs(sc)
	b := batch{queue: workflows.TaskQueue, concurrency: d.o.Concurrency, started: func(string) {}}
	if sc.Race.ownWorker() {
		// A queue of its own: only the drill's worker runs these sagas, so
		// its kill, proxy or outage reaches every one of them and no other.
		b.queue = "drill-" + sc.Name + "-" + ids.NewUUID()
	}
	var runs []run
	var p proof
	var err error
	switch sc.Race {
	case RaceKillWorker:
		runs, p, err = d.withKilledWorker(ctx, sc, b, inputs)
	case RaceTokenExpires:
		runs, p, err = d.withExpiringToken(ctx, sc, b, inputs)
	case RaceScoringOutage:
		runs, p, err = d.withScoringOutage(ctx, sc, b, inputs)
	case RaceAckLost:
		runs, p, err = d.withLostAcks(ctx, sc, b, inputs)
	default:
		runs = d.runAll(ctx, sc, b, inputs)
	}
	if err != nil {
		return ScenarioReport{}, err
	}
	if err := ctx.Err(); err != nil {
		return ScenarioReport{}, err
	}
	fmt.Fprintf(d.progress, "  %s: sagas done in %s; checking invariants against the services and Jaeger…\n",
		sc.Name, time.Since(since).Round(100*time.Millisecond))
	ledgers, err := d.ledgers(ctx, sc, runs, since)
	if err != nil {
		return ScenarioReport{}, err
	}
	return summarize(sc, runs, ledgers, p), nil
}

// batch is how a scenario's sagas are started: on which task queue, how
// many at once, and whom to tell each workflow ID once started.
type batch struct {
	queue       string
	concurrency int
	started     func(workflowID string)
}

// proof is what a scenario-wide race left to show for itself: notes for
// the report, and why it did not land when it did not (a scenario whose
// fault never landed is a failure).
type proof struct {
	notes    []string
	notLand  string
	landedOn int // sagas the race landed on, for the report's counter
}
