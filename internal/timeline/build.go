package timeline

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/sagatrace/sagatrace/internal/jaegerquery"
	"github.com/sagatrace/sagatrace/workflows"
)

// Sources are what a timeline is built from.
type Sources struct {
	DTID string
	// Saga is Temporal's view; nil when Temporal knows no workflow of the DTID.
	Saga *Saga
	// Traces are every trace Jaeger holds with a span tagged dtid=DTID.
	Traces []jaegerquery.Trace
	Links  Links
	// Now ends the timeline of a saga that is still open.
	Now time.Time
}

// Build puts the hop traces on the saga's clock, in the order they
// started, and completes them with what saga_state knows: a hop Jaeger
// has not (yet) received is listed without timing, so the picture never
// silently drops a step. It is a pure function of its sources.
func Build(src Sources) Timeline {
	c := classify(src.Traces, src.Links)
	tl := Timeline{DTID: src.DTID, Status: "unknown", Hops: c.hops, Orchestration: c.orchestration, Other: c.other, Traces: src.Traces}
	slices.SortStableFunc(tl.Hops, func(a, b Hop) int {
		if n := a.Start.Compare(b.Start); n != 0 {
			return n
		}
		return strings.Compare(a.CorrelationID, b.CorrelationID)
	})
	markRetries(tl.Hops)
	if s := src.Saga; s != nil {
		tl.Workflow = &Workflow{ID: s.WorkflowID, RunID: s.RunID, TemporalStatus: s.TemporalStatus,
			URL: WorkflowURL(src.Links, s.WorkflowID, s.RunID)}
		tl.Status = strings.ToLower(s.TemporalStatus)
		if s.Input != nil {
			tl.Amount = &Amount{Cents: s.Input.AmountCents, Currency: s.Input.Currency}
		}
		if s.State != nil {
			tl.Status, tl.State = string(s.State.Status), s.State
			tl.Hops = mergeState(tl.Hops, s.State.Hops, src.Links)
		}
		tl.Signals = slices.Clone(s.Signals)
		tl.Notes = append(tl.Notes, s.Notes...)
	} else {
		tl.Notes = append(tl.Notes, "Temporal knows no workflow of this DTID (never started there, or past retention): the timeline is Jaeger's alone.")
	}
	tl.Start, tl.End = bounds(src, tl)
	tl.Duration = tl.End.Sub(tl.Start)
	tl.DurationMS = ms(tl.Duration)
	place(&tl)
	return tl
}

// markRetries turns a failed attempt into "retried" when the same
// operation was attempted again later; the last failed attempt of an
// operation stays an error. hops are in start order.
func markRetries(hops []Hop) {
	for i := range hops {
		if hops[i].Outcome != OutcomeError {
			continue
		}
		for _, later := range hops[i+1:] {
			if later.Operation == hops[i].Operation && later.Compensation == hops[i].Compensation {
				hops[i].Outcome = OutcomeRetried
				break
			}
		}
	}
}

// mergeState adds the hops saga_state records but Jaeger lacks (spans not
// exported yet, or tracing off), and takes the error message from the
// state where the span has none.
func mergeState(hops []Hop, state []workflows.Hop, links Links) []Hop {
	for _, sh := range state {
		if sh.CorrelationID == "" {
			continue // the attempt failed before its hop began
		}
		i := slices.IndexFunc(hops, func(h Hop) bool { return h.CorrelationID == sh.CorrelationID })
		if i >= 0 {
			if hops[i].Error == "" {
				hops[i].Error = sh.Error
			}
			continue
		}
		h := Hop{Step: sh.Step, Operation: sh.Operation, Compensation: sh.Compensation, Attempt: int(sh.Attempt),
			CorrelationID: sh.CorrelationID, Outcome: OutcomeOK, Error: sh.Error,
			JaegerAPIURL: jaegerquery.TraceAPIURL(links.JaegerURL, sh.CorrelationID),
			JaegerUIURL:  jaegerquery.TraceUIURL(links.JaegerURL, sh.CorrelationID)}
		h.Service, _, _ = strings.Cut(sh.Operation, ".")
		if sh.Outcome != string(OutcomeOK) {
			h.Outcome = OutcomeError
		}
		hops = append(hops, h)
	}
	return hops
}

// WorkflowURL is the run's page in the Temporal Web UI.
func WorkflowURL(l Links, workflowID, runID string) string {
	u := fmt.Sprintf("%s/namespaces/%s/workflows/%s", l.TemporalUIURL, url.PathEscape(l.Namespace), url.PathEscape(workflowID))
	if runID != "" {
		u += "/" + url.PathEscape(runID) + "/history"
	}
	return u
}
