package traceexport_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/sagatrace/sagatrace/internal/devstack/devstacktest"
	"github.com/sagatrace/sagatrace/internal/jaegerquery"
	"github.com/sagatrace/sagatrace/internal/traceexport"
)

// An export is only useful if another Jaeger opens it. Jaeger v2 built
// from the module has no file-upload API (its UI reads the file in the
// browser), so the round trip goes through what it does have: the OTLP
// export is posted to a second, empty Jaeger's OTLP/HTTP receiver, and
// that Jaeger's v1 API must then answer every trace with the same spans
// the Jaeger-format export holds.
func TestExportLoadsIntoAnotherJaeger(t *testing.T) {
	source := devstacktest.Jaeger(t)
	target := devstacktest.Jaeger(t)

	const dtid = "export-test-dtid"
	traceIDs := sendTransaction(t, source.OTLPHTTPEndpoint(), dtid)
	src := &jaegerquery.Client{BaseURL: source.QueryURL(), HTTP: &http.Client{Timeout: 10 * time.Second}}
	for _, id := range traceIDs {
		waitForTrace(t, src, id, 2)
	}

	var v1, otlp bytes.Buffer
	st, err := traceexport.Write(t.Context(), src, traceIDs, traceexport.FormatJaeger, &v1)
	if err != nil {
		t.Fatal(err)
	}
	if st.Traces != 2 || st.Spans != 4 {
		t.Errorf("jaeger export stats %+v, want 2 traces, 4 spans", st)
	}
	if _, err := traceexport.Write(t.Context(), src, traceIDs, traceexport.FormatOTLP, &otlp); err != nil {
		t.Fatal(err)
	}
	var file struct {
		Data []jaegerquery.Trace `json:"data"`
	}
	if err := json.Unmarshal(v1.Bytes(), &file); err != nil {
		t.Fatalf("jaeger export is not {\"data\":[…]}: %v", err)
	}
	if len(file.Data) != len(traceIDs) {
		t.Fatalf("jaeger export holds %d traces, want %d", len(file.Data), len(traceIDs))
	}

	resp, err := http.Post("http://"+target.OTLPHTTPEndpoint()+"/v1/traces", "application/json", &otlp)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("posting the OTLP export to a fresh Jaeger: %s", resp.Status)
	}
	dst := &jaegerquery.Client{BaseURL: target.QueryURL(), HTTP: &http.Client{Timeout: 10 * time.Second}}
	for _, want := range file.Data {
		got := waitForTrace(t, dst, want.TraceID, len(want.Spans))
		if g, w := spanKeys(got), spanKeys(want); !slices.Equal(g, w) {
			t.Errorf("trace %s in the second Jaeger:\n got %v\nwant %v", want.TraceID, g, w)
		}
	}
}

func TestParseFormat(t *testing.T) {
	for _, tt := range []struct {
		in      string
		want    traceexport.Format
		wantErr bool
	}{{"jaeger", traceexport.FormatJaeger, false}, {"otlp", traceexport.FormatOTLP, false}, {"zipkin", "", true}, {"", "", true}} {
		got, err := traceexport.ParseFormat(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("ParseFormat(%q) = %q, %v", tt.in, got, err)
		}
	}
}

// spanKeys names each span by what must survive the trip: its ID, its
// service, its operation, its dtid and the traces it links to.
func spanKeys(tr jaegerquery.Trace) []string {
	var out []string
	for _, s := range tr.Spans {
		var refs []string
		for _, r := range s.References {
			refs = append(refs, r.RefType+":"+jaegerquery.NormalizeTraceID(r.TraceID)+"/"+r.SpanID)
		}
		slices.Sort(refs)
		out = append(out, fmt.Sprintf("%s %s %s dtid=%s %v", s.SpanID, tr.Service(s), s.OperationName, s.Tag("dtid"), refs))
	}
	slices.Sort(out)
	return out
}

// sendTransaction exports two traces of one DTID, as a saga makes them: an
// orchestration trace and a hop trace whose root links to it.
func sendTransaction(t *testing.T, endpoint, dtid string) []string {
	t.Helper()
	ctx := t.Context()
	tp := devstacktest.TracerProvider(t, endpoint, "saga-worker")
	tr := tp.Tracer("export_test")
	tag := trace.WithAttributes(attribute.String("dtid", dtid))
	octx, run := tr.Start(ctx, "RunWorkflow:OrderSaga", tag)
	actx, act := tr.Start(octx, "RunActivity:Charge", tag)
	hctx, hop := tr.Start(actx, "payment.charge", tag, trace.WithNewRoot(),
		trace.WithLinks(trace.Link{SpanContext: act.SpanContext(), Attributes: []attribute.KeyValue{attribute.String("link", "saga")}}))
	_, client := tr.Start(hctx, "POST /v1/payments", tag)
	client.End()
	hop.End()
	act.End()
	run.End()
	if err := tp.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	return []string{run.SpanContext().TraceID().String(), hop.SpanContext().TraceID().String()}
}

// waitForTrace polls until jc holds trace id with n spans: ingestion is
// asynchronous.
func waitForTrace(t *testing.T, jc *jaegerquery.Client, id string, n int) jaegerquery.Trace {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		tr, err := jc.Get(t.Context(), id)
		if err == nil && len(tr.Spans) >= n {
			return tr
		}
		if err != nil && !errors.Is(err, jaegerquery.ErrTraceNotFound) && !strings.Contains(err.Error(), "unreachable") {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("trace %s with %d spans not in Jaeger at %s (last: %d spans, %v)", id, n, jc.BaseURL, len(tr.Spans), err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
