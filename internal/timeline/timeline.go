// Package timeline puts one business transaction in one picture: every hop
// attempt of a DTID — its own trace in Jaeger — on the saga's clock, next
// to what Temporal knows of the workflow (its status, its input, the
// saga_state query). `sagatrace trace` prints it and the console draws it;
// both get it from here.
package timeline

import (
	"time"

	"github.com/sagatrace/sagatrace/internal/jaegerquery"
	"github.com/sagatrace/sagatrace/workflows"
)

// Outcome is how one hop attempt ended.
type Outcome string

// The outcomes of a hop attempt. A compensation is not an outcome but a
// kind of hop (Hop.Compensation): a compensation can itself be ok, retried or fail.
const (
	OutcomeOK = Outcome("ok")
	// OutcomeRetried is a failed attempt after which the same operation was
	// attempted again.
	OutcomeRetried = Outcome("retried")
	// OutcomeError is a failed attempt that nothing retried: the step failed
	// for good (the saga compensates) or a compensation waits for an operator.
	OutcomeError = Outcome("error")
)

// Timeline is one DTID's saga, hop by hop, in the order the hops started.
type Timeline struct {
	DTID string `json:"dtid"`
	// Status is the saga's own status (saga_state, or the result), else
	// Temporal's execution status, else "unknown".
	Status   string    `json:"status"`
	Workflow *Workflow `json:"workflow,omitempty"`
	// State is the saga_state query's answer (or the closed run's result):
	// the current step, the entities' IDs and the error.
	State  *workflows.State `json:"saga_state,omitempty"`
	Amount *Amount          `json:"amount,omitempty"`
	// Start is the workflow's start (else the first span's); offsets count
	// from it. End is its close, or the fetch time of an open saga.
	Start      time.Time     `json:"start"`
	End        time.Time     `json:"end"`
	Duration   time.Duration `json:"-"`
	DurationMS float64       `json:"duration_ms"`
	Hops       []Hop         `json:"hops"`
	// Orchestration is the trace of the workflow itself (StartWorkflow →
	// RunWorkflow → activities), which every hop links to.
	Orchestration *TraceRef `json:"orchestration_trace,omitempty"`
	// Other traces tagged with the DTID: an operator's signal, a caller's
	// own request.
	Other []TraceRef `json:"other_traces,omitempty"`
	// Signals the workflow received, from its history.
	Signals []Signal `json:"signals,omitempty"`
	// Notes say what is missing and why: a hop not (yet) in Jaeger, a
	// workflow Temporal no longer knows.
	Notes []string `json:"notes,omitempty"`
	// Traces are the traces the timeline was built from, whole, for views
	// that draw the spans inside each hop.
	Traces []jaegerquery.Trace `json:"-"`
}

// Workflow is the saga's run in Temporal.
type Workflow struct {
	ID             string `json:"id"`
	RunID          string `json:"run_id"`
	TemporalStatus string `json:"temporal_status"`
	URL            string `json:"url"` // Temporal UI
}

// Amount is what the saga charges, from its input.
type Amount struct {
	Cents    int64  `json:"cents"`
	Currency string `json:"currency"`
}

// Hop is one attempt of one saga operation: its own request chain, its own
// trace, whose ID is the correlation ID.
type Hop struct {
	Index     int    `json:"index"` // 1-based, in start order
	Step      string `json:"step"`
	Service   string `json:"service"`
	Operation string `json:"operation"`
	// Compensation marks a compensation (refund, cancel).
	Compensation  bool    `json:"compensation"`
	Attempt       int     `json:"attempt,omitempty"`
	CorrelationID string  `json:"correlation_id"` // = the trace ID
	Outcome       Outcome `json:"outcome"`
	Error         string  `json:"error,omitempty"`
	// InJaeger is false for a hop saga_state knows but Jaeger does not
	// (yet): it then has no timing.
	InJaeger   bool          `json:"in_jaeger"`
	Start      time.Time     `json:"start,omitzero"`
	Offset     time.Duration `json:"-"`
	Duration   time.Duration `json:"-"`
	OffsetMS   float64       `json:"offset_ms"`
	DurationMS float64       `json:"duration_ms"`
	// Services that emitted spans in the hop's trace.
	Services     []string `json:"services,omitempty"`
	JaegerAPIURL string   `json:"jaeger_api_url"`
	JaegerUIURL  string   `json:"jaeger_ui_url"`
}

// TraceRef points at one trace in Jaeger.
type TraceRef struct {
	TraceID string `json:"trace_id"`
	// Operation and Service of the trace's root span.
	Operation    string        `json:"operation"`
	Service      string        `json:"service"`
	Start        time.Time     `json:"start"`
	OffsetMS     float64       `json:"offset_ms"`
	Offset       time.Duration `json:"-"`
	JaegerAPIURL string        `json:"jaeger_api_url"`
	JaegerUIURL  string        `json:"jaeger_ui_url"`
}

// Signal is a signal the workflow received, such as retry-compensation.
type Signal struct {
	Name     string        `json:"name"`
	At       time.Time     `json:"at"`
	Offset   time.Duration `json:"-"`
	OffsetMS float64       `json:"offset_ms"`
}

// Links are the base URLs links are made of.
type Links struct {
	JaegerURL     string // e.g. http://127.0.0.1:16686
	TemporalUIURL string // e.g. http://127.0.0.1:8233
	Namespace     string
	// JaegerUI says the Jaeger at JaegerURL serves its UI (the official
	// images do; the one built from the Go module serves a placeholder):
	// views then link there too, beside their own trace view.
	JaegerUI bool
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// TraceIDs lists every trace of the transaction that Jaeger holds: the
// orchestration trace, the hops in start order, then the other traces.
func (tl Timeline) TraceIDs() []string {
	var out []string
	if tl.Orchestration != nil {
		out = append(out, tl.Orchestration.TraceID)
	}
	for _, h := range tl.Hops {
		if h.InJaeger {
			out = append(out, h.CorrelationID)
		}
	}
	for _, o := range tl.Other {
		out = append(out, o.TraceID)
	}
	return out
}
