package temporalclient

import (
	"context"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.temporal.io/sdk/interceptor"

	"github.com/sagatrace/sagatrace/internal/ids"
)

// A saga the Temporal CLI starts has no DTID in its baggage; its
// orchestration spans take the DTID from the workflow ID, and a DTID the
// start context gave is never replaced.
func TestWorkflowSpansTakeTheDTIDOfTheirWorkflowID(t *testing.T) {
	tests := []struct {
		name        string
		baggageDTID string
		workflowID  string
		want        string
	}{
		{name: "started by the Temporal CLI", workflowID: "order-saga-d-1", want: "d-1"},
		{name: "the workflow ID is the DTID", workflowID: "my-first-saga", want: "my-first-saga"},
		{name: "baggage wins", baggageDTID: "d-2", workflowID: "order-saga-other", want: "d-2"},
		{name: "no workflow ID, no DTID", want: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := tracetest.NewSpanRecorder()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
			inner, err := newTracer(tp)
			if err != nil {
				t.Fatal(err)
			}
			tr := workflowDTIDTracer{Tracer: inner, dtidOf: func(wid string) string { return strings.TrimPrefix(wid, "order-saga-") }}
			opts := &interceptor.TracerStartSpanOptions{Operation: "RunWorkflow", Name: "OrderSaga", Tags: map[string]string{}}
			if tc.workflowID != "" {
				opts.Tags[workflowIDTag] = tc.workflowID
			}
			if tc.baggageDTID != "" {
				ctx, err := WithDTIDBaggage(context.Background(), tc.baggageDTID)
				if err != nil {
					t.Fatal(err)
				}
				// The parent a client's header brings carries its baggage.
				ctx, client := tp.Tracer("test").Start(ctx, "StartWorkflow:OrderSaga")
				defer client.End()
				opts.Parent = inner.SpanFromContext(ctx)
			}
			span, err := tr.StartSpan(opts)
			if err != nil {
				t.Fatal(err)
			}
			span.Finish(&interceptor.TracerFinishSpanOptions{})
			ended := rec.Ended()
			got := ""
			for _, kv := range ended[len(ended)-1].Attributes() {
				if kv.Key == ids.AttrDTID {
					got = kv.Value.AsString()
				}
			}
			if got != tc.want {
				t.Errorf("dtid = %q, want %q (attributes %v)", got, tc.want, ended[len(ended)-1].Attributes())
			}
		})
	}
}
