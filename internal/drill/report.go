package drill

import (
	"fmt"
	"io"
	"net/url"
	"slices"
	"time"

	"github.com/sagatrace/sagatrace/internal/faults"
	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/workflows"
)

// Report is what a drill found, one entry per scenario run.
type Report struct {
	Scenarios []ScenarioReport
}

// ScenarioReport is one scenario's numbers and every broken invariant.
type ScenarioReport struct {
	Name   string
	Faults string
	Sagas  int
	// Completed and Compensated sagas settled; Stuck ones did not.
	Completed, Compensated, Stuck int
	// P50 and P99 of the sagas' durations, start to end as the drill saw
	// them (a parked saga's wait for the signal included).
	P50, P99 time.Duration
	// Landed counts the sagas on which the scenario's fault was seen to
	// land (InvExercised); Provable those it had to be seen on.
	Landed, Provable int
	Violations       []Violation
	// Notes say what happened besides the numbers (the worker kill).
	Notes []string
}

// Violations counts the broken invariants of every scenario.
func (r Report) Violations() int {
	n := 0
	for _, s := range r.Scenarios {
		n += len(s.Violations)
	}
	return n
}

// summarize counts outcomes and checks every ledger of a scenario; p is
// what a scenario-wide race (the worker kill) proved.
func summarize(sc Scenario, runs []run, ledgers []Ledger, p proof) ScenarioReport {
	rep := ScenarioReport{Name: sc.Name, Faults: faults.Format(sc.Faults), Sagas: len(runs), Notes: p.notes}
	durations := make([]time.Duration, 0, len(runs))
	for i, l := range ledgers {
		if provable(l) {
			rep.Provable++
			if !slices.ContainsFunc(Check(l), func(v Violation) bool { return v.Invariant == InvExercised }) {
				rep.Landed++
			}
		}
		switch l.Outcome {
		case workflows.StatusCompleted:
			rep.Completed++
		case workflows.StatusCompensated:
			rep.Compensated++
		default:
			rep.Stuck++
		}
		durations = append(durations, runs[i].ended.Sub(runs[i].started))
		rep.Violations = append(rep.Violations, Check(l)...)
	}
	rep.P50, rep.P99 = percentile(durations, 50), percentile(durations, 99)
	if i := slices.IndexFunc(ledgers, func(l Ledger) bool { return l.Race != "" && l.RaceLanded }); i >= 0 {
		// One saga's evidence, as an example of what the counter counts.
		rep.Notes = append(rep.Notes, fmt.Sprintf("%s landed on %d/%d sagas; e.g. %s: %s",
			sc.Race, rep.Landed, rep.Provable, ledgers[i].DTID, ledgers[i].Evidence))
	}
	if sc.Race != "" && !sc.Race.perSaga() {
		// The race is the scenario's, not each saga's: it must land once.
		rep.Landed, rep.Provable = p.landedOn, len(runs)
		if p.notLand != "" {
			rep.Violations = append(rep.Violations, Violation{Invariant: InvExercised, Detail: p.notLand})
		}
	}
	return rep
}

// provable reports whether l has a fault of its own to show: a plan fault
// that leaves hops, or the drill's race against it.
func provable(l Ledger) bool {
	if l.Race != "" {
		return true
	}
	plan, err := faults.FromMap(l.Faults)
	if err != nil {
		return true // Check says why
	}
	for op := range l.Faults {
		if leavesHops(plan.For(ids.Operation(op)).Kind) {
			return true
		}
	}
	return false
}

// percentile is the nearest-rank p-th percentile of ds (0 when empty).
func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := (p*len(s) + 99) / 100 // ceil(p/100 · n)
	return s[max(rank, 1)-1]
}

// Links are the base URLs that violations link to.
type Links struct {
	TemporalUI, Jaeger, Namespace string
}

// Print writes the table of every scenario (Markdown, to paste as is),
// the notes, and each violation with links to its saga in the Temporal UI
// and its traces in Jaeger.
func (r Report) Print(w io.Writer, l Links) {
	fmt.Fprintf(w, "| %-23s | %5s | %9s | %11s | %5s | %12s | %10s | %7s | %7s |\n",
		"scenario", "sagas", "completed", "compensated", "stuck", "fault landed", "violations", "p50", "p99")
	fmt.Fprintf(w, "|%s|%s:|%s:|%s:|%s:|%s:|%s:|%s:|%s:|\n", dashes(25), dashes(6), dashes(10), dashes(12), dashes(6), dashes(13), dashes(11), dashes(8), dashes(8))
	for _, s := range r.Scenarios {
		fmt.Fprintf(w, "| %-23s | %5d | %9d | %11d | %5d | %12s | %10d | %7s | %7s |\n",
			s.Name, s.Sagas, s.Completed, s.Compensated, s.Stuck, s.landed(), len(s.Violations), seconds(s.P50), seconds(s.P99))
	}
	for _, s := range r.Scenarios {
		for _, n := range s.Notes {
			fmt.Fprintf(w, "\n%s: %s", s.Name, n)
		}
	}
	fmt.Fprintln(w)
	if r.Violations() == 0 {
		fmt.Fprintln(w, "\nNo violations: every saga completed or was fully compensated, every hop attempt is traced, and every scenario's fault landed.")
		return
	}
	fmt.Fprintf(w, "\n%d violations:\n", r.Violations())
	for _, s := range r.Scenarios {
		for _, v := range s.Violations {
			if v.DTID == "" { // the scenario's, no saga's
				fmt.Fprintf(w, "\n  %s  [%s] %s\n", s.Name, v.Invariant, v.Detail)
				continue
			}
			tags := url.QueryEscape(fmt.Sprintf(`{"dtid":%q}`, v.DTID))
			fmt.Fprintf(w, "\n  %s  %s  [%s] %s\n", s.Name, v.DTID, v.Invariant, v.Detail)
			fmt.Fprintf(w, "    Temporal  %s/namespaces/%s/workflows/%s\n", l.TemporalUI, l.Namespace, workflows.WorkflowID(v.DTID))
			fmt.Fprintf(w, "    Jaeger    %s/api/traces?service=saga-worker&tags=%s\n", l.Jaeger, tags)
		}
	}
}

// landed is the "fault landed" cell: on how many sagas of those that had
// to show it; "-" when no saga had a fault of its own to show.
func (s ScenarioReport) landed() string {
	if s.Provable == 0 {
		return "-"
	}
	return fmt.Sprintf("%d/%d", s.Landed, s.Provable)
}

func dashes(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = '-'
	}
	return string(b)
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.1fs", d.Seconds()) }
