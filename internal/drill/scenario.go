package drill

import (
	"context"
	"fmt"
	"time"

	"github.com/sagatrace/sagatrace/internal/faults"
)

// scenario runs one scenario's sagas, reads back what they left behind
// and checks it.
func (d *driver) scenario(ctx context.Context, sc Scenario) (ScenarioReport, error) {
	fmt.Fprintf(d.progress, "drill %s: %d sagas, %d at a time, faults %s\n  %s\n",
		sc.Name, d.o.Sagas, d.o.Concurrency, faults.Format(sc.Faults), sc.Summary)
	since := time.Now()
	inputs := d.inputs(sc)
	var runs []run
	var notes []string
	if sc.KillWorker {
		var err error
		if runs, notes, err = d.withKilledWorker(ctx, sc, inputs); err != nil {
			return ScenarioReport{}, err
		}
	} else {
		runs = d.runAll(ctx, sc, inputs, func(string) {})
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
	rep := summarize(sc, runs, ledgers)
	rep.Notes = notes
	return rep, nil
}
