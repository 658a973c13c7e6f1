package timeline

import (
	"fmt"
	"strings"
	"time"

	"github.com/sagatrace/sagatrace/internal/jaegerquery"
	"github.com/sagatrace/sagatrace/workflows"
)

// t0 is the saga's start in every test.
var t0 = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

var testLinks = Links{JaegerURL: "http://jaeger:16686", TemporalUIURL: "http://temporal:8233", Namespace: "default"}

// tid makes a 32-hex trace ID from a short name, as OpenTelemetry prints it.
func tid(name string) string { return fmt.Sprintf("%032x", name) }

// attempt describes one hop attempt's trace for hopTrace.
type attemptSpec struct {
	id, op        string
	compensation  bool
	attempt       int
	at, took      time.Duration // from t0
	failure       string        // non-empty: the root span's error status
	calledService string        // the service span under the hop, if any
}

// hopTrace builds the trace Jaeger returns for one hop attempt: the
// worker's root span, tagged as activities/hop.go tags it, and a server
// span of the called service below it.
func hopTrace(a attemptSpec) jaegerquery.Trace {
	id := tid(a.id)
	step, _, _ := strings.Cut(a.op, ".")
	tags := []jaegerquery.KeyValue{
		{Key: "dtid", Value: "d-1"}, {Key: "saga.step", Value: step},
		{Key: "saga.compensation", Type: "bool", Value: a.compensation},
		{Key: "temporal.attempt", Type: "int64", Value: float64(a.attempt)},
		{Key: "correlation_id", Value: id},
	}
	if a.failure != "" {
		tags = append(tags, jaegerquery.KeyValue{Key: "error", Type: "bool", Value: true},
			jaegerquery.KeyValue{Key: "otel.status_code", Value: "ERROR"},
			jaegerquery.KeyValue{Key: "otel.status_description", Value: a.failure})
	}
	start := t0.Add(a.at).UnixMicro()
	tr := jaegerquery.Trace{TraceID: id, Processes: map[string]jaegerquery.Process{"p1": {ServiceName: "saga-worker"}}}
	tr.Spans = append(tr.Spans, jaegerquery.Span{TraceID: id, SpanID: "root", OperationName: a.op, StartTime: start,
		Duration: a.took.Microseconds(), Tags: tags, ProcessID: "p1",
		References: []jaegerquery.Reference{{RefType: "FOLLOWS_FROM", TraceID: tid("orch"), SpanID: "run-activity"}}})
	if a.calledService != "" {
		tr.Processes["p2"] = jaegerquery.Process{ServiceName: a.calledService}
		tr.Spans = append(tr.Spans, jaegerquery.Span{TraceID: id, SpanID: "server", OperationName: "POST /v1/x",
			StartTime: start + 100, Duration: 50, ProcessID: "p2",
			References: []jaegerquery.Reference{{RefType: "CHILD_OF", TraceID: id, SpanID: "root"}}})
	}
	return tr
}

// orchestrationTrace is the trace of `sagatrace start` → RunWorkflow.
func orchestrationTrace(at time.Duration) jaegerquery.Trace {
	id := tid("orch")
	return jaegerquery.Trace{TraceID: id, Processes: map[string]jaegerquery.Process{
		"p1": {ServiceName: "sagatrace-cli"}, "p2": {ServiceName: "saga-worker"},
	}, Spans: []jaegerquery.Span{
		{TraceID: id, SpanID: "cli", OperationName: "sagatrace start", StartTime: t0.Add(at).UnixMicro(), Duration: 2000, ProcessID: "p1"},
		{TraceID: id, SpanID: "run", OperationName: "RunWorkflow:OrderSaga", StartTime: t0.Add(at).UnixMicro() + 500, ProcessID: "p2",
			References: []jaegerquery.Reference{{RefType: "CHILD_OF", TraceID: id, SpanID: "cli"}}},
	}}
}

// sagaOf is Temporal's view of a closed saga with the given state hops.
func sagaOf(status workflows.Status, temporalStatus string, closedAfter time.Duration, hops ...workflows.Hop) *Saga {
	return &Saga{
		WorkflowID: "order-saga-d-1", RunID: "run-1", TemporalStatus: temporalStatus,
		Start: t0, Close: t0.Add(closedAfter),
		Input: &workflows.Input{AmountCents: 1299, Currency: "USD"},
		State: &workflows.State{DTID: "d-1", Status: status, Hops: hops},
	}
}

func stateHop(op string, compensation bool, id, outcome string) workflows.Hop {
	step, _, _ := strings.Cut(op, ".")
	h := workflows.Hop{Step: step, Operation: op, Compensation: compensation, CorrelationID: tid(id), Attempt: 1, Outcome: outcome}
	if outcome != "ok" {
		h.Error = op + " failed"
	}
	return h
}
