package drill

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/sagatrace/sagatrace/workflows"
)

func TestPercentile(t *testing.T) {
	s := func(n ...int) []time.Duration {
		out := make([]time.Duration, len(n))
		for i, v := range n {
			out[i] = time.Duration(v) * time.Second
		}
		return out
	}
	tests := []struct {
		name string
		ds   []time.Duration
		p    int
		want time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one", s(7), 99, 7 * time.Second},
		{"median_of_four_is_the_second", s(4, 1, 3, 2), 50, 2 * time.Second},
		{"p99_of_ten_is_the_max", s(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 99, 10 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentile(tt.ds, tt.p); got != tt.want {
				t.Errorf("percentile = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestSummarizeCountsOutcomesAndViolations(t *testing.T) {
	done, compensated, stuck := completedLedger(), compensatedLedger(), compensatedLedger()
	stuck.Outcome = workflows.StatusCompensationFailed
	t0 := time.Now()
	runs := []run{{started: t0, ended: t0.Add(time.Second)}, {started: t0, ended: t0.Add(3 * time.Second)}, {started: t0, ended: t0.Add(2 * time.Second)}}
	rep := summarize(Scenario{Name: "mixed"}, runs, []Ledger{done, compensated, stuck}, proof{})
	if rep.Sagas != 3 || rep.Completed != 1 || rep.Compensated != 1 || rep.Stuck != 1 {
		t.Errorf("counts = %+v", rep)
	}
	if len(rep.Violations) != 1 || rep.Violations[0].Invariant != InvOutcome {
		t.Errorf("violations = %+v, want the stuck saga's outcome", rep.Violations)
	}
	if rep.P50 != 2*time.Second || rep.P99 != 3*time.Second {
		t.Errorf("p50/p99 = %s/%s, want 2s/3s", rep.P50, rep.P99)
	}
}

// A violation is printed with its DTID and the links an operator follows.
func TestPrintLinksEveryViolation(t *testing.T) {
	rep := Report{Scenarios: []ScenarioReport{{Name: "order-fails", Sagas: 1, Compensated: 1,
		Violations: []Violation{{DTID: "d-9", Invariant: InvMoney, Detail: "1299 cents taken without a confirmed order"}}}}}
	var out bytes.Buffer
	rep.Print(&out, Links{TemporalUI: "http://ui", Jaeger: "http://jaeger", Namespace: "default"})
	for _, want := range []string{
		"| order-fails", "1 violations", "d-9", "[money] 1299 cents",
		"http://ui/namespaces/default/workflows/order-saga-d-9",
		"http://jaeger/api/traces?service=saga-worker&tags=%7B%22dtid%22%3A%22d-9%22%7D",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// The "fault landed" counter: per saga from Check, or the scenario's own
// proof for a race that must land once; a scenario-wide miss is a
// violation of its own, printed without links.
func TestSummarizeCountsWhereTheFaultLanded(t *testing.T) {
	landed, missed := compensatedLedger(), compensatedLedger()
	landed.Faults = map[string]string{"order.create": "error"}
	missed.Faults = map[string]string{"order.create": "error"}
	missed.Hops = missed.Hops[:1] // order.create never failed
	t0 := time.Now()
	runs := []run{{started: t0, ended: t0}, {started: t0, ended: t0}}
	tests := []struct {
		name        string
		sc          Scenario
		ledgers     []Ledger
		p           proof
		wantLanded  string
		wantMissing int // scenario-wide exercised violations
	}{
		{"per_saga", Scenario{Name: "order-fails"}, []Ledger{landed, missed}, proof{}, "1/2", 0},
		{"nothing_to_prove", Scenario{Name: "plain"}, []Ledger{completedLedger(), completedLedger()}, proof{}, "-", 0},
		{"kill_landed", Scenario{Name: "worker-killed", Race: RaceKillWorker}, []Ledger{completedLedger(), completedLedger()},
			proof{landedOn: 2}, "2/2", 0},
		{"kill_never_landed", Scenario{Name: "worker-killed", Race: RaceKillWorker}, []Ledger{completedLedger(), completedLedger()},
			proof{notLand: "none of 5 kills found an activity in flight on the worker"}, "0/2", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := summarize(tt.sc, runs, tt.ledgers, tt.p)
			if got := rep.landed(); got != tt.wantLanded {
				t.Errorf("landed = %s, want %s", got, tt.wantLanded)
			}
			missing := 0
			for _, v := range rep.Violations {
				if v.Invariant == InvExercised && v.DTID == "" {
					missing++
				}
			}
			if missing != tt.wantMissing {
				t.Errorf("scenario-wide exercised violations = %d, want %d: %+v", missing, tt.wantMissing, rep.Violations)
			}
			var out bytes.Buffer
			Report{Scenarios: []ScenarioReport{rep}}.Print(&out, Links{TemporalUI: "http://ui"})
			if tt.wantMissing > 0 && !strings.Contains(out.String(), "worker-killed  [exercised] none of 5 kills") {
				t.Errorf("the miss is not printed as the scenario's:\n%s", out.String())
			}
		})
	}
}
