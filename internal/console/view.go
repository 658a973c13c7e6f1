package console

import (
	"fmt"
	"html/template"
	"math"
	"time"

	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/timeline"
	"github.com/sagatrace/sagatrace/workflows"
)

// funcs format values for the templates; html/template escapes whatever
// they return.
var funcs = template.FuncMap{
	"dur":         formatDuration,
	"when":        formatTime,
	"clock":       func(t time.Time) string { return t.UTC().Format("15:04:05.000") },
	"amount":      formatAmount,
	"statusClass": statusClass,
	"inc":         func(i int) int { return i + 1 },
	"traceHref":   TraceHref,
	"linkLabel":   func(kind string) string { return linkLabels[kind][0] },
	"backLabel":   func(kind string) string { return linkLabels[kind][1] },
}

// linkLabels say what a link of each kind means, seen from its source and
// from its target.
var linkLabels = map[string][2]string{
	linkSaga:        {"run by", "hop trace"},
	linkCompensates: {"undoes", "undone by"},
	linkOther:       {"links to", "linked from"},
}

func formatDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(100 * time.Microsecond).String()
	case d < time.Minute:
		return d.Round(time.Millisecond).String()
	default:
		return d.Round(time.Second).String()
	}
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

func formatAmount(a *timeline.Amount) string {
	if a == nil {
		return "—"
	}
	return a.String()
}

// statusClass names the badge colour of a saga or hop status.
func statusClass(status string) string {
	switch status {
	case string(workflows.StatusCompleted), string(timeline.OutcomeOK):
		return "ok"
	case string(workflows.StatusCompensated), string(timeline.OutcomeRetried), "canceled", "terminated":
		return "warn"
	case string(workflows.StatusCompensationFailed), string(workflows.StatusInvalid), string(timeline.OutcomeError), "failed", "timedout":
		return "bad"
	case string(workflows.StatusRunning), string(workflows.StatusCompensating):
		return "run"
	}
	return "neutral"
}

// hopView is one hop with its bar on the waterfall, in percent of the
// saga's duration.
type hopView struct {
	timeline.Hop
	X, W float64
	// Href is the hop's trace in the console's own trace view; JaegerUI
	// the same in Jaeger's UI, when it serves one.
	Href, JaegerUI string
	// Spans are the hop's trace, drawn under the hop (nil: not in Jaeger).
	Spans *traceView
	// Undoes names the forward hop a compensation undoes ("#1
	// payment.charge"), from its "compensates" link.
	Undoes     string
	UndoesHref string
}

// minBarPercent keeps a hop of a few microseconds visible.
const minBarPercent = 0.6

func hopViews(tl timeline.Timeline) []hopView {
	out := make([]hopView, len(tl.Hops))
	for i, h := range tl.Hops {
		out[i] = hopView{Hop: h}
		if !h.InJaeger || tl.Duration <= 0 {
			continue
		}
		x := 100 * float64(h.Offset) / float64(tl.Duration)
		w := 100 * float64(h.Duration) / float64(tl.Duration)
		x = math.Min(math.Max(x, 0), 100-minBarPercent)
		out[i].X = round2(x)
		out[i].W = round2(math.Min(math.Max(w, minBarPercent), 100-x))
	}
	return out
}

// tick is a label of the waterfall's time axis.
type tick struct {
	Percent float64
	Label   string
}

func ticks(total time.Duration) []tick {
	out := make([]tick, 0, 5)
	for i := range 5 {
		out = append(out, tick{Percent: float64(i) * 25, Label: formatDuration(total * time.Duration(i) / 4)})
	}
	return out
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }

// hopIndex maps a correlation ID to the hop that carried it, so the
// service rows can say which hop wrote them.
func hopIndex(tl timeline.Timeline) map[string]string {
	out := map[string]string{}
	for _, h := range tl.Hops {
		out[h.CorrelationID] = fmt.Sprintf("#%d %s", h.Index, h.Operation)
	}
	return out
}

// auditView is one audit row of a service, with the trace of the request
// that wrote it and, when that request was one of the saga's hops, which.
type auditView struct {
	State         string
	CorrelationID string
	TraceURL      string
	Hop           string
	At            time.Time
}

// rowsView is one service's rows of the DTID on the saga page: each
// payment (or order) with its audit trail.
type rowsView struct {
	ID    string // the section's element id: "payments"
	Title string // its heading: "payment"
	// Error says why the service's rows are missing: it did not answer.
	Error    string
	Entities []entityView
	// None is said when the service answered that it holds no row.
	None string
}

func (v *rowsView) setError(err error) {
	if err != nil {
		v.Error = err.Error()
	}
}

// entityView is one payment or order.
type entityView struct {
	ID          string
	State       string
	AmountCents int64
	Currency    string
	History     []auditView
}

// entityOf draws a payment or an order, whose state types differ and whose
// rows do not; byCorrelation names the saga's hop that wrote an audit row.
func entityOf[S ~string](id string, state S, amountCents int64, currency string, history []httpapi.StateChange[S], byCorrelation map[string]string) entityView {
	e := entityView{ID: id, State: string(state), AmountCents: amountCents, Currency: currency}
	for _, c := range history {
		e.History = append(e.History, auditView{State: string(c.State), CorrelationID: c.CorrelationID, At: c.At,
			TraceURL: TraceHref(c.CorrelationID, ""), Hop: byCorrelation[c.CorrelationID]})
	}
	return e
}
