package timeline

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/jaegerquery"
)

// What the traces tagged with a DTID are, told apart by their root span:
// a hop's root is the worker's hop span, tagged with the saga step; the
// orchestration trace holds the workflow's RunWorkflow span; anything
// else (an operator's signal, a caller's request) is "other".
type classified struct {
	hops          []Hop
	orchestration *TraceRef
	other         []TraceRef
}

// Prefixes of the Temporal interceptor's spans that make a trace the
// orchestration trace: RunWorkflow ends with the saga, so while it runs
// only the starter's StartWorkflow span (from `sagatrace start`) is there.
const (
	runWorkflowPrefix   = "RunWorkflow:"
	startWorkflowPrefix = "StartWorkflow:"
)

func classify(traces []jaegerquery.Trace, links Links) classified {
	var c classified
	for _, tr := range traces {
		root, ok := tr.Root()
		if !ok {
			continue
		}
		switch {
		case root.Tag(ids.AttrStep) != "":
			c.hops = append(c.hops, hopOf(tr, root, links))
		case c.orchestration == nil && (hasSpan(tr, runWorkflowPrefix) || hasSpan(tr, startWorkflowPrefix)):
			ref := traceRef(tr, root, links)
			c.orchestration = &ref
		default:
			c.other = append(c.other, traceRef(tr, root, links))
		}
	}
	slices.SortFunc(c.other, func(a, b TraceRef) int { return a.Start.Compare(b.Start) })
	return c
}

func hasSpan(tr jaegerquery.Trace, operationPrefix string) bool {
	return slices.ContainsFunc(tr.Spans, func(s jaegerquery.Span) bool {
		return strings.HasPrefix(s.OperationName, operationPrefix)
	})
}

// hopOf reads one hop attempt off its trace's root span.
func hopOf(tr jaegerquery.Trace, root jaegerquery.Span, links Links) Hop {
	id := jaegerquery.NormalizeTraceID(tr.TraceID)
	attempt, _ := strconv.Atoi(root.Tag(ids.AttrAttempt)) // absent: 0, shown as unknown
	h := Hop{
		Step:          root.Tag(ids.AttrStep),
		Operation:     root.OperationName,
		Compensation:  root.Tag(ids.AttrCompensation) == "true",
		Attempt:       attempt,
		CorrelationID: id,
		Outcome:       OutcomeOK,
		InJaeger:      true,
		Start:         spanStart(root),
		Duration:      time.Duration(root.Duration) * time.Microsecond,
		Services:      servicesOf(tr),
		JaegerAPIURL:  jaegerquery.TraceAPIURL(links.JaegerURL, id),
		JaegerUIURL:   jaegerquery.TraceUIURL(links.JaegerURL, id),
	}
	if root.Failed() {
		h.Outcome, h.Error = OutcomeError, root.ErrorMessage()
	}
	h.Service = calledService(tr, root, h.Operation)
	return h
}

// calledService is the service the hop reached: the first span of another
// service than the root's (the worker), by start time. A hop that reached
// nobody (a refused connection) is named by its operation's prefix.
func calledService(tr jaegerquery.Trace, root jaegerquery.Span, operation string) string {
	rootService := tr.Service(root)
	var first *jaegerquery.Span
	for i, s := range tr.Spans {
		if tr.Service(s) != rootService && (first == nil || s.StartTime < first.StartTime) {
			first = &tr.Spans[i]
		}
	}
	if first != nil {
		return tr.Service(*first)
	}
	service, _, _ := strings.Cut(operation, ".")
	return service
}

func servicesOf(tr jaegerquery.Trace) []string {
	var out []string
	for _, s := range tr.Spans {
		if svc := tr.Service(s); svc != "" && !slices.Contains(out, svc) {
			out = append(out, svc)
		}
	}
	slices.Sort(out)
	return out
}

func traceRef(tr jaegerquery.Trace, root jaegerquery.Span, links Links) TraceRef {
	id := jaegerquery.NormalizeTraceID(tr.TraceID)
	return TraceRef{
		TraceID: id, Operation: root.OperationName, Service: tr.Service(root), Start: spanStart(root),
		JaegerAPIURL: jaegerquery.TraceAPIURL(links.JaegerURL, id),
		JaegerUIURL:  jaegerquery.TraceUIURL(links.JaegerURL, id),
	}
}

func spanStart(s jaegerquery.Span) time.Time { return time.UnixMicro(s.StartTime).UTC() }
