package console

import (
	"cmp"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/jaegerquery"
)

// traceView is one trace's spans as a waterfall: each span on the trace's
// clock, under its parent, with its attributes, events and links, and the
// spans of the transaction's other traces that link to it (backlinks).
type traceView struct {
	TraceID  string
	DTID     string
	Start    time.Time
	Duration time.Duration
	Spans    []spanView
	Ticks    []tick
	// JaegerUIURL is the trace's page in a Jaeger with its UI ("" in dev).
	JaegerUIURL  string
	JaegerAPIURL string
	// Note says what could not be read (the backlinks' traces).
	Note string
}

// spanView is one row of a trace's waterfall.
type spanView struct {
	SpanID    string
	Service   string
	Operation string
	Kind      string // span.kind: client, server, producer, consumer, internal
	Depth     int
	Offset    time.Duration
	Duration  time.Duration
	X, W      float64 // the bar, in percent of the trace's duration
	Failed    bool
	Error     string
	Tags      []jaegerquery.KeyValue
	Events    []eventView
	Links     []linkView
	Backlinks []linkView
	// Open shows the span's details unfolded.
	Open bool
}

// Indent is the operation's left padding: one step per level under the root.
func (s spanView) Indent() []struct{} { return make([]struct{}, s.Depth) }

// eventView is a span event, on the trace's clock.
type eventView struct {
	Offset time.Duration
	Name   string
	Fields []jaegerquery.KeyValue
}

// linkView is a span link between traces, to or from this one.
type linkView struct {
	// Kind says what the link means: "saga" (a hop to the activity that ran
	// it), "compensates" (an undo to the step it undoes), or "link".
	Kind      string
	TraceID   string
	SpanID    string
	Service   string
	Operation string
	Href      string
}

// spanLink is the kind of the links sagatrace makes, and of the
// backlinks they become.
const (
	linkSaga        = "saga"
	linkCompensates = "compensates"
	linkOther       = "link"
)

// spanIndex finds a span of the transaction's traces by trace and span ID.
type spanIndex map[string]indexedSpan

type indexedSpan struct {
	trace jaegerquery.Trace
	span  jaegerquery.Span
}

func indexSpans(traces []jaegerquery.Trace) spanIndex {
	idx := spanIndex{}
	for _, tr := range traces {
		for _, s := range tr.Spans {
			idx[spanKey(s.TraceID, s.SpanID)] = indexedSpan{tr, s}
		}
	}
	return idx
}

func spanKey(traceID, spanID string) string {
	return jaegerquery.NormalizeTraceID(traceID) + "/" + spanID
}

// TraceHref is the console's own view of a trace, at one span if spanID is set.
func TraceHref(traceID, spanID string) string {
	h := "/traces/" + url.PathEscape(jaegerquery.NormalizeTraceID(traceID))
	if spanID != "" {
		h += "#span-" + url.PathEscape(spanID)
	}
	return h
}

// buildTraceView lays tr out as a waterfall. related are the other traces
// of its transaction (may be nil), for what its links point at and for the
// backlinks.
func buildTraceView(tr jaegerquery.Trace, related []jaegerquery.Trace) traceView {
	v := traceView{TraceID: jaegerquery.NormalizeTraceID(tr.TraceID)}
	idx := indexSpans(append(slices.Clone(related), tr))
	v.Spans = spanRows(tr, idx, backlinksTo(tr, related))
	if len(tr.Spans) == 0 {
		return v
	}
	start, end := traceBounds(tr)
	v.Start, v.Duration = time.UnixMicro(start), time.Duration(end-start)*time.Microsecond
	v.Ticks = ticks(v.Duration)
	for i := range v.Spans {
		placeBar(&v.Spans[i], v.Duration)
	}
	for _, s := range tr.Spans {
		if d := s.Tag(ids.AttrDTID); d != "" {
			v.DTID = d
			break
		}
	}
	return v
}

func traceBounds(tr jaegerquery.Trace) (start, end int64) {
	start, end = math.MaxInt64, math.MinInt64
	for _, s := range tr.Spans {
		start = min(start, s.StartTime)
		end = max(end, s.StartTime+s.Duration)
	}
	return start, end
}

func placeBar(s *spanView, total time.Duration) {
	if total <= 0 {
		s.X, s.W = 0, 100
		return
	}
	x := math.Min(math.Max(100*float64(s.Offset)/float64(total), 0), 100-minBarPercent)
	w := 100 * float64(s.Duration) / float64(total)
	s.X, s.W = round2(x), round2(math.Min(math.Max(w, minBarPercent), 100-x))
}

// spanRows orders tr's spans depth first, children by start time, so each
// span sits under its parent; a span whose parent is missing is a root.
func spanRows(tr jaegerquery.Trace, idx spanIndex, back map[string][]linkView) []spanView {
	have := map[string]bool{}
	for _, s := range tr.Spans {
		have[s.SpanID] = true
	}
	children := map[string][]jaegerquery.Span{}
	var roots []jaegerquery.Span
	for _, s := range tr.Spans {
		if p := parentOf(s, tr.TraceID); p != "" && have[p] {
			children[p] = append(children[p], s)
		} else {
			roots = append(roots, s)
		}
	}
	byStart := func(a, b jaegerquery.Span) int {
		return cmp.Or(cmp.Compare(a.StartTime, b.StartTime), strings.Compare(a.SpanID, b.SpanID))
	}
	start, _ := traceBounds(tr)
	var out []spanView
	var walk func(s jaegerquery.Span, depth int)
	walk = func(s jaegerquery.Span, depth int) {
		out = append(out, spanRow(tr, s, depth, start, idx, back[s.SpanID]))
		kids := children[s.SpanID]
		slices.SortFunc(kids, byStart)
		for _, k := range kids {
			walk(k, depth+1)
		}
	}
	slices.SortFunc(roots, byStart)
	for _, r := range roots {
		walk(r, 0)
	}
	return out
}

func parentOf(s jaegerquery.Span, traceID string) string {
	for _, r := range s.References {
		if r.RefType == "CHILD_OF" && jaegerquery.NormalizeTraceID(r.TraceID) == jaegerquery.NormalizeTraceID(traceID) {
			return r.SpanID
		}
	}
	return ""
}

func spanRow(tr jaegerquery.Trace, s jaegerquery.Span, depth int, start int64, idx spanIndex, back []linkView) spanView {
	row := spanView{
		SpanID: s.SpanID, Service: tr.Service(s), Operation: s.OperationName, Kind: s.Tag("span.kind"), Depth: depth,
		Offset: time.Duration(s.StartTime-start) * time.Microsecond, Duration: time.Duration(s.Duration) * time.Microsecond,
		Failed: s.Failed(), Tags: sortedTags(s.Tags), Backlinks: back,
	}
	if row.Failed {
		row.Error = s.ErrorMessage()
	}
	for _, l := range s.Logs {
		ev := eventView{Offset: time.Duration(l.Timestamp-start) * time.Microsecond}
		for _, f := range l.Fields {
			if f.Key == "event" {
				ev.Name = fmt.Sprint(f.Value)
				continue
			}
			ev.Fields = append(ev.Fields, f)
		}
		row.Events = append(row.Events, ev)
	}
	for _, r := range s.References {
		if r.RefType == "CHILD_OF" && jaegerquery.NormalizeTraceID(r.TraceID) == jaegerquery.NormalizeTraceID(tr.TraceID) {
			continue
		}
		row.Links = append(row.Links, describeLink(s, r.TraceID, r.SpanID, idx))
	}
	return row
}

// describeLink names what a link of s points at. Jaeger's v1 API drops
// link attributes, so the kind is read from the ends: a link to a
// RunActivity span is the hop's link to its saga; one from a span that
// says saga.compensates to that hop is an undo's link to its step.
func describeLink(from jaegerquery.Span, traceID, spanID string, idx spanIndex) linkView {
	l := linkView{Kind: linkOther, TraceID: jaegerquery.NormalizeTraceID(traceID), SpanID: spanID, Href: TraceHref(traceID, spanID)}
	if target, ok := idx[spanKey(traceID, spanID)]; ok {
		l.Service, l.Operation = target.trace.Service(target.span), target.span.OperationName
		if strings.HasPrefix(l.Operation, "RunActivity") {
			l.Kind = linkSaga
		}
	}
	if c := from.Tag(ids.AttrCompensates); c != "" && jaegerquery.NormalizeTraceID(c) == l.TraceID {
		l.Kind = linkCompensates
	}
	return l
}

// backlinksTo finds, by span of tr, the spans of the other traces that
// link to it.
func backlinksTo(tr jaegerquery.Trace, related []jaegerquery.Trace) map[string][]linkView {
	self := jaegerquery.NormalizeTraceID(tr.TraceID)
	out := map[string][]linkView{}
	for _, other := range related {
		if jaegerquery.NormalizeTraceID(other.TraceID) == self {
			continue
		}
		for _, s := range other.Spans {
			for _, r := range s.References {
				if r.RefType != "FOLLOWS_FROM" || jaegerquery.NormalizeTraceID(r.TraceID) != self {
					continue
				}
				kind := linkOther
				switch {
				case jaegerquery.NormalizeTraceID(s.Tag(ids.AttrCompensates)) == self:
					kind = linkCompensates
				case s.Tag(ids.AttrCorrelationID) != "":
					kind = linkSaga
				}
				out[r.SpanID] = append(out[r.SpanID], linkView{Kind: kind, TraceID: jaegerquery.NormalizeTraceID(other.TraceID),
					SpanID: s.SpanID, Service: other.Service(s), Operation: s.OperationName, Href: TraceHref(other.TraceID, s.SpanID)})
			}
		}
	}
	for _, ls := range out {
		slices.SortFunc(ls, func(a, b linkView) int { return strings.Compare(a.TraceID+a.SpanID, b.TraceID+b.SpanID) })
	}
	return out
}

func sortedTags(tags []jaegerquery.KeyValue) []jaegerquery.KeyValue {
	out := slices.Clone(tags)
	slices.SortStableFunc(out, func(a, b jaegerquery.KeyValue) int { return strings.Compare(a.Key, b.Key) })
	return out
}
