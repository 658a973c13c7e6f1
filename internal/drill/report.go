package drill

import (
	"fmt"
	"io"
	"net/url"
	"slices"
	"time"

	"github.com/sagatrace/sagatrace/internal/faults"
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
	P50, P99   time.Duration
	Violations []Violation
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

// summarize counts outcomes and checks every ledger of a scenario.
func summarize(sc Scenario, runs []run, ledgers []Ledger) ScenarioReport {
	rep := ScenarioReport{Name: sc.Name, Faults: faults.Format(sc.Faults), Sagas: len(runs)}
	durations := make([]time.Duration, 0, len(runs))
	for i, l := range ledgers {
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
	return rep
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
	fmt.Fprintf(w, "| %-20s | %5s | %9s | %11s | %5s | %10s | %7s | %7s |\n",
		"scenario", "sagas", "completed", "compensated", "stuck", "violations", "p50", "p99")
	fmt.Fprintf(w, "|%s|%s:|%s:|%s:|%s:|%s:|%s:|%s:|\n", dashes(22), dashes(6), dashes(10), dashes(12), dashes(6), dashes(11), dashes(8), dashes(8))
	for _, s := range r.Scenarios {
		fmt.Fprintf(w, "| %-20s | %5d | %9d | %11d | %5d | %10d | %7s | %7s |\n",
			s.Name, s.Sagas, s.Completed, s.Compensated, s.Stuck, len(s.Violations), seconds(s.P50), seconds(s.P99))
	}
	for _, s := range r.Scenarios {
		for _, n := range s.Notes {
			fmt.Fprintf(w, "\n%s: %s", s.Name, n)
		}
	}
	fmt.Fprintln(w)
	if r.Violations() == 0 {
		fmt.Fprintln(w, "\nNo violations: every saga completed or was fully compensated, and every hop attempt is traced.")
		return
	}
	fmt.Fprintf(w, "\n%d violations:\n", r.Violations())
	for _, s := range r.Scenarios {
		for _, v := range s.Violations {
			tags := url.QueryEscape(fmt.Sprintf(`{"dtid":%q}`, v.DTID))
			fmt.Fprintf(w, "\n  %s  %s  [%s] %s\n", s.Name, v.DTID, v.Invariant, v.Detail)
			fmt.Fprintf(w, "    Temporal  %s/namespaces/%s/workflows/%s\n", l.TemporalUI, l.Namespace, workflows.WorkflowID(v.DTID))
			fmt.Fprintf(w, "    Jaeger    %s/api/traces?service=saga-worker&tags=%s\n", l.Jaeger, tags)
		}
	}
}

func dashes(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = '-'
	}
	return string(b)
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.1fs", d.Seconds()) }
