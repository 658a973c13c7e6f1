package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/sagatrace/sagatrace/internal/devstack/devstacktest"
	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/jaegerquery"
	"github.com/sagatrace/sagatrace/internal/natsauth"
	"github.com/sagatrace/sagatrace/internal/temporalclient"
	"github.com/sagatrace/sagatrace/services/order/orderapi"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
	"github.com/sagatrace/sagatrace/workflows"
)

func sagaInput(dtid string) workflows.Input {
	return workflows.Input{
		DTID: dtid, CustomerID: "c-e2e", ProfileID: "p-" + dtid[len(dtid)-8:], AmountCents: 1299, Currency: "USD",
		Items: []workflows.Item{{SKU: "sku-1", Qty: 1, PriceCents: 1299}},
	}
}

// runSaga starts in through the Temporal client, as `sagatrace start` does
// (under a span of its own, with the DTID in baggage, so that every
// orchestration span carries it), and waits
// for its outcome.
func runSaga(t *testing.T, in workflows.Input) (client.WorkflowRun, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	ctx, err := temporalclient.WithDTIDBaggage(ctx, in.DTID)
	var run client.WorkflowRun
	ctx, span := shared.tp.Tracer("github.com/sagatrace/sagatrace/e2e").Start(ctx, "start saga")
	defer span.End()
	if err != nil {
		t.Fatal(err)
	}
	run, err = shared.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: workflows.WorkflowID(in.DTID), TaskQueue: workflows.TaskQueue,
	}, workflows.WorkflowType, in)
	if err != nil {
		t.Fatalf("start saga: %v", err)
	}
	return run, run.Get(ctx, nil)
}

// getJSON decodes the JSON answer of a GET into out and returns the body.
func getJSON(t *testing.T, url string, out any) string {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	var raw json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil {
		t.Fatalf("GET %s: decode: %v", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s: %s", url, resp.Status, raw)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("GET %s: %v: %s", url, err, raw)
	}
	return string(raw)
}

// postJSON posts body to url with an Idempotency-Key and returns the
// status and the answer.
func postJSON(t *testing.T, url, key, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(answer)
}

// buildSagatrace builds the CLI as a user runs it.
func buildSagatrace(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "sagatrace")
	if out, err := exec.CommandContext(t.Context(), "go", "build", "-o", bin, "../cmd/sagatrace").CombinedOutput(); err != nil {
		t.Fatalf("build sagatrace: %v\n%s", err, out)
	}
	return bin
}

// paymentsOf lists the payments of dtid, as the shared stack's payment API
// answers them.
func paymentsOf(t *testing.T, dtid string) []paymentapi.Payment {
	t.Helper()
	var page paymentapi.Page
	getJSON(t, shared.stack.Service(paymentapi.Audience).URL()+"/v1/payments?dtid="+dtid, &page)
	return page.Items
}

// ordersOf lists the orders of dtid, as the shared stack's order API
// answers them.
func ordersOf(t *testing.T, dtid string) []orderapi.Order {
	t.Helper()
	var page orderapi.Page
	getJSON(t, shared.stack.Service(orderapi.Audience).URL()+"/v1/orders?dtid="+dtid, &page)
	return page.Items
}

// awaitOneWorkflowOfDTID waits until Temporal's visibility, which indexes
// a moment after a start, finds exactly one workflow whose DTID search
// attribute is dtid, and returns that query.
func awaitOneWorkflowOfDTID(t *testing.T, dtid string) (query string) {
	t.Helper()
	query = fmt.Sprintf("%s=%q", "DTID", dtid)
	eventually(t, 20*time.Second, func() (bool, string) {
		resp, err := shared.temporal.ListWorkflow(t.Context(), &workflowservice.ListWorkflowExecutionsRequest{Query: query})
		if err != nil {
			return false, err.Error()
		}
		return len(resp.Executions) == 1, fmt.Sprintf("visibility query %s found %d workflows", query, len(resp.Executions))
	})
	return query
}

// eventually polls cond until it reports done or the timeout passes; the
// last reason is the failure message. Traces reach Jaeger in batches and
// Temporal's visibility is eventually consistent, so the tests poll.
func eventually(t *testing.T, timeout time.Duration, cond func() (done bool, reason string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		done, reason := cond()
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", timeout, reason)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// tracesOf waits until Jaeger holds the orchestration trace of dtid and a
// trace tagged with dtid for every wanted trace ID, and returns all traces
// tagged with dtid. The RunWorkflow span ends with the saga, so it is the
// last to be exported.
func tracesOf(t *testing.T, dtid string, want ...string) map[string]jaegerquery.Trace {
	t.Helper()
	var found map[string]jaegerquery.Trace
	start := time.Now().Add(-10 * time.Minute)
	eventually(t, 30*time.Second, func() (bool, string) {
		var err error
		found, err = shared.jaeger.FindAllByTag(t.Context(), ids.AttrDTID, dtid, start, time.Now().Add(time.Minute))
		if err != nil {
			return false, err.Error()
		}
		var missing []string
		for _, id := range want {
			if _, ok := found[id]; !ok {
				missing = append(missing, id)
			}
		}
		if _, ok := orchestrationTrace(found); !ok {
			missing = append(missing, "orchestration")
		}
		return len(missing) == 0, fmt.Sprintf("traces %v of dtid %s not in Jaeger (found %d)", missing, dtid, len(found))
	})
	return found
}

// orchestrationTrace returns the trace that holds the saga's RunWorkflow span.
func orchestrationTrace(traces map[string]jaegerquery.Trace) (jaegerquery.Trace, bool) {
	for _, tr := range traces {
		for _, s := range tr.Spans {
			if strings.HasPrefix(s.OperationName, "RunWorkflow:") {
				return tr, true
			}
		}
	}
	return jaegerquery.Trace{}, false
}

// rootOf returns the span of tr that has no parent in tr.
func rootOf(tr jaegerquery.Trace) (jaegerquery.Span, bool) {
	for _, s := range tr.Spans {
		parented := false
		for _, r := range s.References {
			if r.RefType == "CHILD_OF" && r.TraceID == tr.TraceID {
				parented = true
			}
		}
		if !parented {
			return s, true
		}
	}
	return jaegerquery.Span{}, false
}

// servicesOf lists the services that emitted spans in tr.
func servicesOf(tr jaegerquery.Trace) map[string]bool {
	out := map[string]bool{}
	for _, s := range tr.Spans {
		out[tr.Service(s)] = true
	}
	return out
}

// natsAs connects to the shared stack's NATS as role, with the seed
// `sagatrace dev` keeps for it, until the test ends.
func natsAs(t *testing.T, role natsauth.Role) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	creds, err := natsauth.Option(shared.stack.NATSKeys.Seeds[role])
	if err != nil {
		t.Fatal(err)
	}
	return devstacktest.Connect(t, shared.stack.NATS.ClientURL(), creds)
}
