package timeline

import (
	"testing"
	"time"

	"github.com/sagatrace/sagatrace/internal/jaegerquery"
	"github.com/sagatrace/sagatrace/workflows"
)

func TestCompleteWaitsForEveryHopAndTheSagaTrace(t *testing.T) {
	charge := hopTrace(attemptSpec{id: "charge", op: "payment.charge", attempt: 1})
	create := hopTrace(attemptSpec{id: "create", op: "order.create", attempt: 1, failure: "no"})
	startOnly := orchestrationTrace(0)
	startOnly.Spans = startOnly.Spans[:1]
	startOnly.Spans[0].OperationName = "StartWorkflow:OrderSaga"
	closed := sagaOf(workflows.StatusCompensated, "Failed", time.Second,
		stateHop("payment.charge", false, "charge", "ok"), stateHop("order.create", false, "create", "error"))
	open := sagaOf(workflows.StatusRunning, "Running", 0, stateHop("payment.charge", false, "charge", "ok"))
	open.Close = time.Time{}
	traces := func(trs ...jaegerquery.Trace) map[string]jaegerquery.Trace {
		m := map[string]jaegerquery.Trace{}
		for _, tr := range trs {
			m[tr.TraceID] = tr
		}
		return m
	}
	tests := []struct {
		name   string
		saga   *Saga
		traces map[string]jaegerquery.Trace
		want   bool
	}{
		{"every_hop_and_the_run_span", closed, traces(charge, create, orchestrationTrace(0)), true},
		{"a_hop_missing", closed, traces(charge, orchestrationTrace(0)), false},
		{"closed_but_run_span_not_yet_exported", closed, traces(charge, create, startOnly), false},
		{"open_saga_needs_no_run_span", open, traces(charge), true},
		{"no_workflow_nothing_to_wait_for", nil, traces(), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := complete(tt.saga, tt.traces); got != tt.want {
				t.Errorf("complete = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFingerprintChangesWhenASpanArrives(t *testing.T) {
	tr := hopTrace(attemptSpec{id: "charge", op: "payment.charge", attempt: 1})
	before := fingerprintOf(map[string]jaegerquery.Trace{tr.TraceID: tr})
	tr.Spans = append(tr.Spans, jaegerquery.Span{SpanID: "late"})
	if after := fingerprintOf(map[string]jaegerquery.Trace{tr.TraceID: tr}); after == before {
		t.Error("a straggling span left the fingerprint unchanged")
	}
}
