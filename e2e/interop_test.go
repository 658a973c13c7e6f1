package e2e

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sagatrace/sagatrace/examples/legacy-caller/caller"
	"github.com/sagatrace/sagatrace/internal/auth"
	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/jaegerquery"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
)

// A caller still on jaeger-client-go reports its span over thrift HTTP and
// sends uber-trace-id; the payment service continues that trace. Jaeger's
// API must show one trace holding both services' spans, the server span a
// child of the caller's, and the payment's audit rows must carry that
// trace's ID as their correlation ID.
func TestLegacyJaegerClientCallerJoinsThePaymentTrace(t *testing.T) {
	dtid := "legacy-" + ids.NewDTID()
	res, err := caller.ChargeOnce(t.Context(), caller.Config{
		CollectorEndpoint: shared.stack.Jaeger.ThriftHTTPURL(),
		PaymentURL:        shared.stack.Service(paymentapi.Audience).URL(),
		// Its own client (not the tests' operator client) and its own token,
		// as `sagatrace token` would mint it.
		HTTP:  &http.Client{Timeout: 10 * time.Second},
		Token: mint(t, auth.Grant{Subject: "legacy-caller", Audience: []string{paymentapi.Audience}, Scopes: []string{paymentapi.ScopeWrite}}),
	}, caller.Charge{DTID: dtid, CustomerID: "c-legacy", AmountCents: 500, Currency: "USD", IdempotencyKey: ids.NewUUID()})
	if err != nil {
		t.Fatalf("legacy caller: %v", err)
	}
	if len(res.TraceID) != 32 || res.PaymentID == "" {
		t.Fatalf("result = %+v, want a 128-bit trace ID and a payment", res)
	}

	var tr jaegerquery.Trace
	eventually(t, 20*time.Second, func() (bool, string) {
		tr, err = shared.jaeger.Get(t.Context(), res.TraceID)
		if err != nil {
			return false, err.Error()
		}
		s := servicesOf(tr)
		return s["legacy-caller"] && s["payment"], "trace " + res.TraceID + " has spans of " + strings.Join(keys(s), ", ")
	})
	if got := jaegerquery.NormalizeTraceID(tr.TraceID); got != res.TraceID {
		t.Errorf("Jaeger's trace ID %s, the caller's %s", got, res.TraceID)
	}
	var callerSpan, serverSpan jaegerquery.Span
	for _, s := range tr.Spans {
		switch {
		case tr.Service(s) == "legacy-caller":
			callerSpan = s
		case tr.Service(s) == "payment" && s.OperationName == "POST /v1/payments":
			serverSpan = s
		}
	}
	if serverSpan.SpanID == "" {
		t.Fatalf("no server span POST /v1/payments in trace %s", res.TraceID)
	}
	if !slices.ContainsFunc(serverSpan.References, func(r jaegerquery.Reference) bool {
		return r.RefType == "CHILD_OF" && r.SpanID == callerSpan.SpanID
	}) {
		t.Errorf("payment's server span %+v is not a child of the caller's span %s", serverSpan.References, callerSpan.SpanID)
	}

	payments := paymentsOf(t, dtid)
	if len(payments) != 1 {
		t.Fatalf("payments of %s = %d, want 1", dtid, len(payments))
	}
	for _, h := range payments[0].History {
		if h.CorrelationID != res.TraceID {
			t.Errorf("audit row %s has correlation_id %s, want the legacy trace %s", h.State, h.CorrelationID, res.TraceID)
		}
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
