package console

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sagatrace/sagatrace/internal/jaegerquery"
)

const sagaID = "3df7651916cd43dd8448eb211c80319c"

// sagaTraces are the traces of d-comp as Jaeger holds them: the
// orchestration trace with one RunActivity span per hop, and the hop
// traces, each linked to its RunActivity span; the refund's also links to
// the charge it undoes.
func sagaTraces() []jaegerquery.Trace {
	at := func(ms int) int64 { return t0.Add(time.Duration(ms) * time.Millisecond).UnixMicro() }
	kv := func(pairs ...any) []jaegerquery.KeyValue {
		out := []jaegerquery.KeyValue{{Key: "dtid", Value: "d-comp"}}
		for i := 0; i < len(pairs); i += 2 {
			out = append(out, jaegerquery.KeyValue{Key: pairs[i].(string), Value: pairs[i+1]})
		}
		return out
	}
	child := func(traceID, parent string) []jaegerquery.Reference {
		return []jaegerquery.Reference{{RefType: "CHILD_OF", TraceID: traceID, SpanID: parent}}
	}
	procs := map[string]jaegerquery.Process{"w": {ServiceName: "saga-worker"}, "p": {ServiceName: "payment"}, "o": {ServiceName: "order"}}
	return []jaegerquery.Trace{
		{TraceID: sagaID, Processes: procs, Spans: []jaegerquery.Span{
			{TraceID: sagaID, SpanID: "w1", OperationName: "RunWorkflow:OrderSaga", StartTime: at(0), Duration: 200_000, ProcessID: "w", Tags: kv()},
			{TraceID: sagaID, SpanID: "a1", OperationName: "RunActivity:ChargePayment", StartTime: at(20), Duration: 30_000, ProcessID: "w", Tags: kv(), References: child(sagaID, "w1")},
			{TraceID: sagaID, SpanID: "a3", OperationName: "RunActivity:RefundPayment", StartTime: at(120), Duration: 30_000, ProcessID: "w", Tags: kv(), References: child(sagaID, "w1")},
		}},
		{TraceID: chargeID, Processes: procs, Spans: []jaegerquery.Span{
			{TraceID: chargeID, SpanID: "s1", OperationName: "POST /v1/payments", StartTime: at(24), Duration: 10_000, ProcessID: "p",
				Tags: kv("span.kind", "server", "http.request.method", "POST", "http.response.status_code", 201), References: child(chargeID, "c1"),
				Logs: []jaegerquery.Log{{Timestamp: at(30), Fields: kv("event", "card authorised", "card.last4", "4242")}}},
			{TraceID: chargeID, SpanID: "h1", OperationName: "payment.charge", StartTime: at(21), Duration: 20_000, ProcessID: "w",
				Tags: kv("correlation_id", chargeID, "saga.step", "payment", "saga.compensation", false), References: []jaegerquery.Reference{{RefType: "FOLLOWS_FROM", TraceID: sagaID, SpanID: "a1"}}},
			{TraceID: chargeID, SpanID: "c1", OperationName: "HTTP POST", StartTime: at(22), Duration: 15_000, ProcessID: "w",
				Tags: kv("span.kind", "client", "url.full", "http://payment/v1/payments"), References: child(chargeID, "h1")},
		}},
		hopTrace(createID, "order.create", false, 80*time.Millisecond, "order rejected"),
		{TraceID: refundID, Processes: procs, Spans: []jaegerquery.Span{
			{TraceID: refundID, SpanID: "r1", OperationName: "payment.refund", StartTime: at(121), Duration: 9_000, ProcessID: "w",
				Tags:       kv("correlation_id", refundID, "saga.step", "payment", "saga.compensation", true, "saga.compensates", chargeID),
				References: []jaegerquery.Reference{{RefType: "FOLLOWS_FROM", TraceID: sagaID, SpanID: "a3"}, {RefType: "FOLLOWS_FROM", TraceID: chargeID, SpanID: "h1"}}},
		}},
	}
}

var spanRowRE = regexp.MustCompile(`<details class="span[^"]*" id="span-([^"]+)"`)

func spanOrder(body string) []string {
	var out []string
	for _, m := range spanRowRE.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

func TestTracePage(t *testing.T) {
	jaeger := fakeJaeger(t, map[string][]jaegerquery.Trace{"d-comp": sagaTraces()})
	r := newRig(t, jaeger.URL)
	tests := []struct {
		name      string
		path      string
		status    int
		wantSpans []string // span IDs in drawing order
		want      []string
	}{
		{
			name: "hop_trace_nests_spans_and_names_its_links", path: "/traces/" + chargeID, status: http.StatusOK,
			wantSpans: []string{"h1", "c1", "s1"},
			want: []string{
				`data-operation="POST /v1/payments"`, "http.request.method", "card authorised", "card.last4=4242", "+3ms",
				// its link to the activity that ran it, and the refund's backlink
				`<span class="kind">run by</span> <a href="/traces/` + sagaID + `#span-a1">RunActivity:ChargePayment</a>`,
				`<span class="kind">undone by</span> <a href="/traces/` + refundID + `#span-r1">payment.refund</a>`,
				`href="/sagas/d-comp"`,
			},
		},
		{
			name: "run_activity_lists_the_hop_traces_linking_to_it", path: "/traces/" + sagaID, status: http.StatusOK,
			wantSpans: []string{"w1", "a1", "a3"},
			want: []string{
				`<span class="kind">hop trace</span> <a href="/traces/` + chargeID + `#span-h1">payment.charge</a>`,
				`<span class="kind">hop trace</span> <a href="/traces/` + refundID + `#span-r1">payment.refund</a>`,
			},
		},
		{
			name: "compensation_links_to_what_it_undoes", path: "/traces/" + refundID, status: http.StatusOK,
			wantSpans: []string{"r1"},
			want:      []string{`<span class="kind">undoes</span> <a href="/traces/` + chargeID + `#span-h1">payment.charge</a>`},
		},
		{name: "unknown_trace", path: "/traces/" + strings.Repeat("e", 32), status: http.StatusNotFound, want: []string{"Jaeger holds no trace"}},
		{name: "not_a_trace_id", path: "/traces/zz-top", status: http.StatusBadRequest, want: []string{"is not a trace ID"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := r.get(t, tt.path)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			if got := spanOrder(body); tt.wantSpans != nil && !slices.Equal(got, tt.wantSpans) {
				t.Errorf("spans drawn %v, want %v", got, tt.wantSpans)
			}
			for _, s := range tt.want {
				if !strings.Contains(body, s) {
					t.Errorf("page lacks %q", s)
				}
			}
		})
	}
}

func TestSagaPageExpandsHopsIntoSpans(t *testing.T) {
	jaeger := fakeJaeger(t, map[string][]jaegerquery.Trace{"d-comp": sagaTraces()})
	_, body := newRig(t, jaeger.URL).get(t, "/sagas/d-comp")
	for _, s := range []string{
		`<a class="undoes" href="/traces/` + chargeID + `">undoes #1 payment.charge</a>`,
		`<tr class="hop-spans" data-trace-id="` + chargeID + `">`,
		`3 spans in this hop's trace`,
		`id="orchestration"`,
		`href="/traces/` + chargeID + `" title="this hop's trace, span by span"`,
	} {
		if !strings.Contains(body, s) {
			t.Errorf("saga page lacks %q", s)
		}
	}
	// The hop rows and the orchestration trace: every span of every trace.
	if got := len(spanOrder(body)); got != 3+3+1+1 {
		t.Errorf("saga page draws %d spans, want 8", got)
	}
	if strings.Contains(body, "jaeger-ui") {
		t.Error("links to Jaeger's UI although the configured Jaeger serves none")
	}
}
