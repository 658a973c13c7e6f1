package timeline

import (
	"strings"
	"testing"
	"time"

	"github.com/sagatrace/sagatrace/internal/jaegerquery"
	"github.com/sagatrace/sagatrace/workflows"
)

func TestBar(t *testing.T) {
	tests := []struct {
		name string
		hop  Hop
		want string
	}{
		{"first_quarter", Hop{InJaeger: true, Outcome: OutcomeOK, Offset: 0, Duration: 250 * time.Millisecond}, "██      "},
		{"a_blip_still_shows", Hop{InJaeger: true, Outcome: OutcomeOK, Offset: 500 * time.Millisecond, Duration: time.Microsecond}, "    █   "},
		{"failed_attempt", Hop{InJaeger: true, Outcome: OutcomeRetried, Offset: 250 * time.Millisecond, Duration: 250 * time.Millisecond}, "  xx    "},
		{"compensation", Hop{InJaeger: true, Outcome: OutcomeOK, Compensation: true, Offset: 750 * time.Millisecond, Duration: 250 * time.Millisecond}, "      ▒▒"},
		{"clamped_at_the_end", Hop{InJaeger: true, Outcome: OutcomeOK, Offset: time.Second, Duration: time.Second}, "       █"},
		{"not_in_jaeger", Hop{Outcome: OutcomeOK}, "        "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Bar(tt.hop, time.Second, 8); got != tt.want {
				t.Errorf("Bar = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestWriteTextShowsEveryHopInOrderWithItsTraceAndError(t *testing.T) {
	tl := Build(Sources{DTID: "d-1", Links: testLinks,
		Traces: []jaegerquery.Trace{
			orchestrationTrace(0),
			hopTrace(attemptSpec{id: "refund", op: "payment.refund", compensation: true, attempt: 1, at: 120 * time.Millisecond, took: 30 * time.Millisecond, calledService: "payment"}),
			hopTrace(attemptSpec{id: "charge", op: "payment.charge", attempt: 1, at: 20 * time.Millisecond, took: 40 * time.Millisecond, calledService: "payment"}),
			hopTrace(attemptSpec{id: "create", op: "order.create", attempt: 1, at: 80 * time.Millisecond, took: 10 * time.Millisecond, failure: "order rejected", calledService: "order"}),
		},
		Saga: sagaOf(workflows.StatusCompensated, "Failed", 200*time.Millisecond)})
	var b strings.Builder
	if err := WriteText(&b, tl); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	last := -1
	for _, want := range []string{"payment.charge", "order.create", "payment.refund"} {
		i := strings.Index(out, want)
		if i < last {
			t.Errorf("%s is out of order:\n%s", want, out)
		}
		last = i
	}
	for _, want := range []string{
		"COMPENSATED", "12.99 USD", tid("charge"), tid("create"), tid("refund"), "+120ms", "compensation",
		"#2 order.create (error): order rejected", "http://jaeger:16686/api/traces/" + tid("orch"),
		"http://temporal:8233/namespaces/default/workflows/order-saga-d-1/run-1/history",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	t.Log("\n" + out)
}
