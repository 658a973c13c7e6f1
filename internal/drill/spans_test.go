package drill

import (
	"slices"
	"testing"

	"github.com/sagatrace/sagatrace/internal/jaegerquery"
	"github.com/sagatrace/sagatrace/workflows"
)

const (
	sagaTrace   = "0000000000000000000000000000000a"
	chargeTrace = "0000000000000000000000000000000b"
)

// spanLedger is a saga with one hop, whose traces are whole: the hop's
// root links to its RunActivity span, every span carries the dtid and
// the HTTP conventions.
func spanLedger() Ledger {
	tag := func(kv ...string) []jaegerquery.KeyValue {
		out := []jaegerquery.KeyValue{{Key: "dtid", Value: "d-1"}}
		for i := 0; i < len(kv); i += 2 {
			out = append(out, jaegerquery.KeyValue{Key: kv[i], Value: kv[i+1]})
		}
		return out
	}
	procs := map[string]jaegerquery.Process{"p1": {ServiceName: "saga-worker"}, "p2": {ServiceName: "payment"}}
	return Ledger{
		DTID: "d-1", Outcome: workflows.StatusCompensated,
		Hops: []workflows.Hop{{Operation: "payment.charge", CorrelationID: chargeTrace, Attempt: 1, Outcome: "ok"}},
		TraceData: []jaegerquery.Trace{
			{TraceID: sagaTrace, Processes: procs, Spans: []jaegerquery.Span{
				{TraceID: sagaTrace, SpanID: "w1", OperationName: "RunWorkflow:OrderSaga", ProcessID: "p1", Tags: tag()},
				{TraceID: sagaTrace, SpanID: "a1", OperationName: "RunActivity:ChargePayment", ProcessID: "p1", Tags: tag(),
					References: []jaegerquery.Reference{{RefType: "CHILD_OF", TraceID: sagaTrace, SpanID: "w1"}}},
			}},
			{TraceID: chargeTrace, Processes: procs, Spans: []jaegerquery.Span{
				{TraceID: chargeTrace, SpanID: "h1", OperationName: "payment.charge", ProcessID: "p1", Tags: tag(),
					References: []jaegerquery.Reference{{RefType: "FOLLOWS_FROM", TraceID: sagaTrace, SpanID: "a1"}}},
				{TraceID: chargeTrace, SpanID: "c1", OperationName: "HTTP POST", ProcessID: "p1",
					Tags:       tag("span.kind", "client", "http.request.method", "POST", "url.full", "http://p/v1/payments", "http.response.status_code", "201"),
					References: []jaegerquery.Reference{{RefType: "CHILD_OF", TraceID: chargeTrace, SpanID: "h1"}}},
				{TraceID: chargeTrace, SpanID: "s1", OperationName: "POST /v1/payments", ProcessID: "p2",
					Tags:       tag("span.kind", "server", "http.request.method", "POST", "url.path", "/v1/payments", "http.response.status_code", "201"),
					References: []jaegerquery.Reference{{RefType: "CHILD_OF", TraceID: chargeTrace, SpanID: "c1"}}},
			}},
		},
	}
}

func TestSpanInvariants(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Ledger)
		want   []string
	}{
		{"whole", func(*Ledger) {}, nil},
		{"hop_not_linked", func(l *Ledger) { l.TraceData[1].Spans[0].References = nil }, []string{InvLinked}},
		{"linked_to_a_span_that_is_no_activity", func(l *Ledger) { l.TraceData[1].Spans[0].References[0].SpanID = "w1" }, []string{InvLinked}},
		{"span_without_dtid", func(l *Ledger) { l.TraceData[1].Spans[2].Tags = l.TraceData[1].Spans[2].Tags[1:] },
			[]string{InvDTIDTagged}},
		{"server_span_without_status", func(l *Ledger) { l.TraceData[1].Spans[2].Tags = l.TraceData[1].Spans[2].Tags[:3] }, []string{InvSemconv}},
		{"completed_without_consumer_span", func(l *Ledger) { l.Outcome = workflows.StatusCompleted }, []string{InvSemconv}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := spanLedger()
			tt.mutate(&l)
			var got []string
			checkSpans(l, func(inv, _ string, _ ...any) { got = append(got, inv) })
			slices.Sort(got)
			got = slices.Compact(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("broken invariants %v, want %v", got, tt.want)
			}
		})
	}
}
