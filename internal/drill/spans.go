package drill

import (
	"strings"

	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/jaegerquery"
	"github.com/sagatrace/sagatrace/services/scoring/scoringapi"
	"github.com/sagatrace/sagatrace/workflows"
)

// The span invariants of Check, over the traces themselves: what makes one
// DTID readable as one transaction in any tracing backend.

// runActivityPrefix starts the name of the Temporal interceptor's span of
// one activity attempt, which each hop trace links to.
const runActivityPrefix = "RunActivity"

// The attributes of the semantic conventions each kind of hop must carry.
var (
	httpClientAttrs = []string{"http.request.method", "url.full", "http.response.status_code"}
	httpServerAttrs = []string{"http.request.method", "url.path", "http.response.status_code"}
	messagingAttrs  = []string{"messaging.system", "messaging.destination.name"}
)

func checkSpans(l Ledger, add addFunc) {
	byID := map[string]jaegerquery.Trace{}
	spans := map[string]jaegerquery.Span{} // by trace ID/span ID
	for _, tr := range l.TraceData {
		byID[jaegerquery.NormalizeTraceID(tr.TraceID)] = tr
		for _, s := range tr.Spans {
			spans[jaegerquery.NormalizeTraceID(s.TraceID)+"/"+s.SpanID] = s
		}
	}
	consumed := false
	for _, h := range l.Hops {
		tr, ok := byID[h.CorrelationID]
		if h.CorrelationID == "" || !ok {
			continue // the traced invariant names it
		}
		checkLinked(h, tr, spans, add)
		checkSemconv(h, tr, add)
		consumed = consumed || hasKind(tr, "consumer", messagingAttrs)
	}
	if l.Outcome == workflows.StatusCompleted && !consumed {
		add(InvSemconv, "the saga completed, but no hop trace holds the scoring service's consumer span with %v", messagingAttrs)
	}
	for _, tr := range l.TraceData {
		missing, example := 0, ""
		for _, s := range tr.Spans {
			if s.Tag(ids.AttrDTID) != l.DTID {
				missing++
				if example == "" {
					example = tr.Service(s) + " " + s.OperationName
				}
			}
		}
		if missing > 0 {
			add(InvDTIDTagged, "trace %s: %d of %d spans lack dtid=%s (e.g. %s)", tr.TraceID, missing, len(tr.Spans), l.DTID, example)
		}
	}
}

// checkLinked wants the hop's root span to link to the RunActivity span
// that ran it, in a trace of the same DTID.
func checkLinked(h workflows.Hop, tr jaegerquery.Trace, spans map[string]jaegerquery.Span, add addFunc) {
	root, ok := tr.Root()
	if !ok {
		add(InvLinked, "hop %s: trace %s has no root span", h.Operation, h.CorrelationID)
		return
	}
	for _, r := range root.References {
		if r.RefType != "FOLLOWS_FROM" {
			continue
		}
		if target, ok := spans[jaegerquery.NormalizeTraceID(r.TraceID)+"/"+r.SpanID]; ok && strings.HasPrefix(target.OperationName, runActivityPrefix) {
			return
		}
	}
	add(InvLinked, "hop %s: the root span of trace %s links to no RunActivity span of the saga's traces", h.Operation, h.CorrelationID)
}

// checkSemconv wants the spans that carry a hop over the wire to say so in
// the standard attributes: HTTP client and server for a service call, a
// producer for the scoring publish.
func checkSemconv(h workflows.Hop, tr jaegerquery.Trace, add addFunc) {
	if h.Operation == string(scoringapi.OpPublish) {
		if h.Outcome == "ok" && !hasKind(tr, "producer", messagingAttrs) {
			add(InvSemconv, "hop %s: trace %s has no producer span with %v", h.Operation, h.CorrelationID, messagingAttrs)
		}
		return
	}
	// A failed attempt may never have had an answer (a timeout, a reset):
	// it owes only the request's side.
	client := httpClientAttrs
	if h.Outcome != "ok" {
		client = client[:2]
	}
	if !hasKind(tr, "client", client) {
		add(InvSemconv, "hop %s: trace %s has no HTTP client span with %v", h.Operation, h.CorrelationID, client)
	}
	if h.Outcome == "ok" && !hasKind(tr, "server", httpServerAttrs) {
		add(InvSemconv, "hop %s: trace %s has no HTTP server span with %v", h.Operation, h.CorrelationID, httpServerAttrs)
	}
}

// hasKind reports whether tr has a span of the kind carrying every one of attrs.
func hasKind(tr jaegerquery.Trace, kind string, attrs []string) bool {
	for _, s := range tr.Spans {
		if s.Tag("span.kind") != kind {
			continue
		}
		all := true
		for _, a := range attrs {
			if s.Tag(a) == "" {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}
