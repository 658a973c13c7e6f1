package console

import (
	"fmt"

	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/jaegerquery"
	"github.com/sagatrace/sagatrace/internal/timeline"
)

// expandHops gives each hop of the saga page its trace's spans, its links
// (the console's trace view, and Jaeger's UI when there is one) and, for a
// compensation, the forward hop it undoes. It returns the orchestration
// trace's spans too, whose RunActivity spans list the hop traces that link
// to them.
func expandHops(hops []hopView, tl timeline.Timeline) *traceView {
	byID := map[string]jaegerquery.Trace{}
	for _, tr := range tl.Traces {
		byID[jaegerquery.NormalizeTraceID(tr.TraceID)] = tr
	}
	index := map[string]int{}
	for i, h := range hops {
		index[h.CorrelationID] = i
	}
	for i := range hops {
		h := &hops[i]
		h.Href = TraceHref(h.CorrelationID, "")
		tr, ok := byID[h.CorrelationID]
		if !ok {
			continue
		}
		v := buildTraceView(tr, tl.Traces)
		h.Spans = &v
		if root, ok := tr.Root(); ok && h.Compensation {
			if j, ok := index[jaegerquery.NormalizeTraceID(root.Tag(ids.AttrCompensates))]; ok {
				h.Undoes = fmt.Sprintf("#%d %s", hops[j].Index, hops[j].Operation)
				h.UndoesHref = hops[j].Href
			}
		}
	}
	if tl.Orchestration == nil {
		return nil
	}
	tr, ok := byID[jaegerquery.NormalizeTraceID(tl.Orchestration.TraceID)]
	if !ok {
		return nil
	}
	v := buildTraceView(tr, tl.Traces)
	return &v
}

// jaegerUIHref is a trace's page in Jaeger's UI, or "" when the Jaeger
// configured serves none.
func jaegerUIHref(l timeline.Links, traceID string) string {
	if !l.JaegerUI || traceID == "" {
		return ""
	}
	return jaegerquery.TraceUIURL(l.JaegerURL, traceID)
}
