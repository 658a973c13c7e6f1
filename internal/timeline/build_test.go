package timeline

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sagatrace/sagatrace/internal/jaegerquery"
	"github.com/sagatrace/sagatrace/workflows"
)

// row is what a test expects of one hop.
type row struct {
	op           string
	id           string // short name given to tid
	outcome      Outcome
	compensation bool
	inJaeger     bool
	offset       time.Duration
	service      string
}

func TestBuild(t *testing.T) {
	charge := attemptSpec{id: "charge", op: "payment.charge", attempt: 1, at: 20 * time.Millisecond, took: 40 * time.Millisecond, calledService: "payment"}
	create := attemptSpec{id: "create", op: "order.create", attempt: 1, at: 80 * time.Millisecond, took: 10 * time.Millisecond,
		failure: "order.create refused: 422 order-rejected", calledService: "order"}
	refund := attemptSpec{id: "refund", op: "payment.refund", compensation: true, attempt: 1, at: 120 * time.Millisecond, took: 30 * time.Millisecond, calledService: "payment"}
	at := func(a attemptSpec, id string, attempt int, when time.Duration, failure string) attemptSpec {
		a.id, a.attempt, a.at, a.failure = id, attempt, when, failure
		return a
	}

	tests := []struct {
		name       string
		src        Sources
		wantStatus string
		wantRows   []row
		wantEnd    time.Duration // from t0
		wantNote   string
	}{
		{
			name: "compensated_saga_charge_failed_order_refund_in_order",
			src: Sources{DTID: "d-1", Links: testLinks,
				// Jaeger returns traces in no particular order.
				Traces: []jaegerquery.Trace{hopTrace(refund), orchestrationTrace(0), hopTrace(charge), hopTrace(create)},
				Saga: sagaOf(workflows.StatusCompensated, "Failed", 200*time.Millisecond,
					stateHop("payment.charge", false, "charge", "ok"), stateHop("order.create", false, "create", "error"),
					stateHop("payment.refund", true, "refund", "ok"))},
			wantStatus: "compensated",
			wantRows: []row{
				{op: "payment.charge", id: "charge", outcome: OutcomeOK, inJaeger: true, offset: 20 * time.Millisecond, service: "payment"},
				{op: "order.create", id: "create", outcome: OutcomeError, inJaeger: true, offset: 80 * time.Millisecond, service: "order"},
				{op: "payment.refund", id: "refund", outcome: OutcomeOK, compensation: true, inJaeger: true, offset: 120 * time.Millisecond, service: "payment"},
			},
			wantEnd: 200 * time.Millisecond,
		},
		{
			name: "failed_attempts_followed_by_another_are_retried",
			src: Sources{DTID: "d-1", Links: testLinks, Traces: []jaegerquery.Trace{
				hopTrace(charge),
				hopTrace(at(create, "create-1", 1, 80*time.Millisecond, "503 injected")),
				hopTrace(at(create, "create-2", 2, 300*time.Millisecond, "503 injected")),
				hopTrace(at(create, "create-3", 3, 700*time.Millisecond, "")),
			}, Saga: sagaOf(workflows.StatusCompleted, "Completed", time.Second,
				stateHop("payment.charge", false, "charge", "ok"), stateHop("order.create", false, "create-3", "ok"))},
			wantStatus: "completed",
			wantRows: []row{
				{op: "payment.charge", id: "charge", outcome: OutcomeOK, inJaeger: true, offset: 20 * time.Millisecond, service: "payment"},
				{op: "order.create", id: "create-1", outcome: OutcomeRetried, inJaeger: true, offset: 80 * time.Millisecond, service: "order"},
				{op: "order.create", id: "create-2", outcome: OutcomeRetried, inJaeger: true, offset: 300 * time.Millisecond, service: "order"},
				{op: "order.create", id: "create-3", outcome: OutcomeOK, inJaeger: true, offset: 700 * time.Millisecond, service: "order"},
			},
			wantEnd: time.Second,
		},
		{
			name: "an_undo_that_keeps_failing_stays_an_error_while_the_saga_waits",
			src: Sources{DTID: "d-1", Links: testLinks, Now: t0.Add(5 * time.Second), Traces: []jaegerquery.Trace{
				hopTrace(charge), hopTrace(create),
				hopTrace(at(refund, "refund-1", 1, 200*time.Millisecond, "refund unavailable")),
				hopTrace(at(refund, "refund-2", 2, 600*time.Millisecond, "refund unavailable")),
			}, Saga: func() *Saga {
				s := sagaOf(workflows.StatusCompensationFailed, "Running", 0)
				s.Close = time.Time{} // still open: waiting for the operator
				return s
			}()},
			wantStatus: "compensation_failed",
			wantRows: []row{
				{op: "payment.charge", id: "charge", outcome: OutcomeOK, inJaeger: true, offset: 20 * time.Millisecond, service: "payment"},
				{op: "order.create", id: "create", outcome: OutcomeError, inJaeger: true, offset: 80 * time.Millisecond, service: "order"},
				{op: "payment.refund", id: "refund-1", outcome: OutcomeRetried, compensation: true, inJaeger: true, offset: 200 * time.Millisecond, service: "payment"},
				{op: "payment.refund", id: "refund-2", outcome: OutcomeError, compensation: true, inJaeger: true, offset: 600 * time.Millisecond, service: "payment"},
			},
			wantEnd: 5 * time.Second, // an open saga runs until now
		},
		{
			name: "a_hop_jaeger_lacks_is_listed_from_saga_state_without_timing",
			src: Sources{DTID: "d-1", Links: testLinks, Traces: []jaegerquery.Trace{hopTrace(charge)},
				Saga: sagaOf(workflows.StatusCompensated, "Failed", 200*time.Millisecond,
					stateHop("payment.charge", false, "charge", "ok"), stateHop("order.create", false, "create", "error"))},
			wantStatus: "compensated",
			wantRows: []row{
				{op: "payment.charge", id: "charge", outcome: OutcomeOK, inJaeger: true, offset: 20 * time.Millisecond, service: "payment"},
				{op: "order.create", id: "create", outcome: OutcomeError, service: "order"},
			},
			wantEnd: 200 * time.Millisecond,
		},
		{
			name:       "without_a_workflow_the_traces_alone_make_the_timeline",
			src:        Sources{DTID: "d-1", Links: testLinks, Traces: []jaegerquery.Trace{hopTrace(create), hopTrace(charge)}},
			wantStatus: "unknown",
			wantRows: []row{
				{op: "payment.charge", id: "charge", outcome: OutcomeOK, inJaeger: true, offset: 0, service: "payment"},
				{op: "order.create", id: "create", outcome: OutcomeError, inJaeger: true, offset: 60 * time.Millisecond, service: "order"},
			},
			wantEnd:  70 * time.Millisecond, // first hop's start to last hop's end
			wantNote: "Temporal knows no workflow",
		},
		{
			name: "a_hop_that_reached_no_service_is_named_by_its_operation",
			src: Sources{DTID: "d-1", Links: testLinks, Traces: []jaegerquery.Trace{
				hopTrace(attemptSpec{id: "pub", op: "scoring.publish", attempt: 1, at: 10 * time.Millisecond, took: time.Millisecond, failure: "nats: timeout"}),
			}, Saga: sagaOf(workflows.StatusRunning, "Running", 50*time.Millisecond)},
			wantStatus: "running",
			wantRows: []row{
				{op: "scoring.publish", id: "pub", outcome: OutcomeError, inJaeger: true, offset: 10 * time.Millisecond, service: "scoring"},
			},
			wantEnd: 50 * time.Millisecond,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tl := Build(tt.src)
			if tl.Status != tt.wantStatus {
				t.Errorf("status = %q, want %q", tl.Status, tt.wantStatus)
			}
			if got := tl.End.Sub(tl.Start); got != tt.wantEnd || tl.Duration != got {
				t.Errorf("span = %s (Duration %s), want %s", got, tl.Duration, tt.wantEnd)
			}
			if len(tl.Hops) != len(tt.wantRows) {
				t.Fatalf("hops = %d, want %d: %+v", len(tl.Hops), len(tt.wantRows), tl.Hops)
			}
			for i, want := range tt.wantRows {
				h := tl.Hops[i]
				got := row{op: h.Operation, id: h.CorrelationID, outcome: h.Outcome, compensation: h.Compensation,
					inJaeger: h.InJaeger, offset: h.Offset, service: h.Service}
				want.id = tid(want.id)
				if got != want {
					t.Errorf("hop %d = %+v\n          want %+v", i+1, got, want)
				}
				if h.Index != i+1 || h.JaegerAPIURL != "http://jaeger:16686/api/traces/"+want.id {
					t.Errorf("hop %d: index %d, link %s", i+1, h.Index, h.JaegerAPIURL)
				}
				if (h.Outcome != OutcomeOK) != (h.Error != "") {
					t.Errorf("hop %d: outcome %s with error %q", i+1, h.Outcome, h.Error)
				}
			}
			if tt.wantNote != "" && !slices.ContainsFunc(tl.Notes, func(n string) bool { return strings.Contains(n, tt.wantNote) }) {
				t.Errorf("notes %q lack %q", tl.Notes, tt.wantNote)
			}
		})
	}
}

func TestBuildSortsOtherTracesAndLinksTheWorkflow(t *testing.T) {
	signal := jaegerquery.Trace{TraceID: tid("signal"), Processes: map[string]jaegerquery.Process{"p": {ServiceName: "console"}},
		Spans: []jaegerquery.Span{{TraceID: tid("signal"), SpanID: "s", OperationName: "SignalWorkflow:retry-compensation",
			StartTime: t0.Add(3 * time.Second).UnixMicro(), ProcessID: "p"}}}
	saga := sagaOf(workflows.StatusCompensated, "Failed", 4*time.Second)
	saga.Signals = []Signal{{Name: workflows.SignalRetryCompensation, At: t0.Add(3 * time.Second)}}
	tl := Build(Sources{DTID: "d-1", Links: testLinks, Saga: saga, Traces: []jaegerquery.Trace{signal, orchestrationTrace(0)}})

	if tl.Orchestration == nil || tl.Orchestration.TraceID != tid("orch") || tl.Orchestration.Operation != "sagatrace start" {
		t.Errorf("orchestration = %+v", tl.Orchestration)
	}
	if len(tl.Other) != 1 || tl.Other[0].Operation != "SignalWorkflow:retry-compensation" || tl.Other[0].Offset != 3*time.Second {
		t.Errorf("other = %+v", tl.Other)
	}
	if len(tl.Signals) != 1 || tl.Signals[0].Offset != 3*time.Second {
		t.Errorf("signals = %+v", tl.Signals)
	}
	wantURL := "http://temporal:8233/namespaces/default/workflows/order-saga-d-1/run-1/history"
	if tl.Workflow == nil || tl.Workflow.URL != wantURL {
		t.Errorf("workflow = %+v, want URL %s", tl.Workflow, wantURL)
	}
	if tl.Amount == nil || tl.Amount.String() != "12.99 USD" {
		t.Errorf("amount = %v, want 12.99 USD", tl.Amount)
	}
}
