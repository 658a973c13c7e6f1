package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/jaegerquery"
	"github.com/sagatrace/sagatrace/services/order/orderapi"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
	"github.com/sagatrace/sagatrace/services/scoring/scoringapi"
	"github.com/sagatrace/sagatrace/workflows"
)

func TestSagaCompletesWithOneTracePerHop(t *testing.T) {
	dtid := ids.NewDTID()
	in := sagaInput(dtid)
	run, err := runSaga(t, in)
	if err != nil {
		t.Fatalf("saga failed: %v", err)
	}
	var res workflows.Result
	if err := run.Get(t.Context(), &res); err != nil {
		t.Fatal(err)
	}
	if res.Status != workflows.StatusCompleted || len(res.Hops) != 3 {
		t.Fatalf("result = %+v, want completed with 3 hops", res)
	}
	charge, create, publish := res.Hops[0], res.Hops[1], res.Hops[2]

	t.Run("payment_rows_share_the_dtid_and_carry_the_hop_correlation_id", func(t *testing.T) {
		var page paymentapi.Page
		raw := getJSON(t, shared.stack.Service(paymentapi.Audience).URL()+"/v1/payments?dtid="+dtid, &page)
		if len(page.Items) != 1 {
			t.Fatalf("payments of dtid = %d, want 1: %s", len(page.Items), raw)
		}
		p := page.Items[0]
		if p.DTID != dtid || p.State != paymentapi.StateCompleted || p.PaymentID != res.PaymentID {
			t.Errorf("payment = %+v", p)
		}
		var states []string
		for _, h := range p.History {
			states = append(states, string(h.State))
			if h.CorrelationID != charge.CorrelationID {
				t.Errorf("row %s has correlation_id %s, want the charge hop's %s", h.State, h.CorrelationID, charge.CorrelationID)
			}
		}
		if !slices.Equal(states, []string{"stored", "initiated", "completed"}) {
			t.Errorf("states = %v, want stored, initiated, completed", states)
		}
		if strings.Contains(raw, `"id"`) {
			t.Errorf("a local primary key left the service: %s", raw)
		}
	})

	t.Run("order_row_carries_the_create_hop_correlation_id", func(t *testing.T) {
		orders := ordersOf(t, dtid)
		if len(orders) != 1 || orders[0].State != orderapi.StateConfirmed || orders[0].PaymentID != res.PaymentID {
			t.Fatalf("orders of dtid = %+v, want one confirmed for payment %s", orders, res.PaymentID)
		}
		if h := orders[0].History; len(h) == 0 || h[len(h)-1].CorrelationID != create.CorrelationID {
			t.Errorf("order history %+v, want last correlation_id %s", h, create.CorrelationID)
		}
	})

	t.Run("jaeger_finds_the_orchestration_and_each_hop_by_dtid", func(t *testing.T) {
		// Each process batches its spans on its own clock: a hop trace may
		// be in Jaeger with the worker's spans before the service's arrive.
		wantServices := map[string]string{charge.CorrelationID: "payment", create.CorrelationID: "order"}
		var traces map[string]jaegerquery.Trace
		eventually(t, 20*time.Second, func() (bool, string) {
			traces = tracesOf(t, dtid, charge.CorrelationID, create.CorrelationID, publish.CorrelationID)
			for cid, svc := range wantServices {
				if !servicesOf(traces[cid])[svc] {
					return false, fmt.Sprintf("hop trace %s has no span of service %s: %v", cid, svc, servicesOf(traces[cid]))
				}
			}
			return true, ""
		})
		orch, ok := orchestrationTrace(traces)
		if !ok {
			t.Fatalf("no orchestration trace among %d traces of dtid %s", len(traces), dtid)
		}
		for _, hop := range res.Hops {
			if hop.CorrelationID == orch.TraceID {
				t.Errorf("hop %s shares the orchestration trace", hop.Operation)
			}
			requireHopTrace(t, traces[hop.CorrelationID], hop, dtid, orch.TraceID)
		}
	})

	t.Run("scoring_consumes_the_event_in_the_hop_trace", func(t *testing.T) {
		eventually(t, 20*time.Second, func() (bool, string) {
			tr, err := shared.jaeger.Get(t.Context(), publish.CorrelationID)
			if err != nil {
				return false, err.Error()
			}
			return servicesOf(tr)["scoring"], "publish hop trace has no scoring span yet"
		})
		var sc scoringapi.Score
		getJSON(t, shared.stack.Scoring.URL()+"/v1/scores/"+in.ProfileID, &sc)
		if sc.Score != 12 || sc.Events != 1 {
			t.Errorf("score = %+v, want 12 points from 1 event", sc)
		}
	})
}

// requireHopTrace checks a hop's own trace: its ID is the correlation ID,
// its root is the worker's hop span tagged with the DTID, and that span
// links (FOLLOWS_FROM) into the orchestration trace.
func requireHopTrace(t *testing.T, tr jaegerquery.Trace, hop workflows.Hop, dtid, orchestration string) {
	t.Helper()
	if tr.TraceID != hop.CorrelationID {
		t.Fatalf("no trace %s for hop %s", hop.CorrelationID, hop.Operation)
	}
	root, ok := rootOf(tr)
	if !ok {
		t.Fatalf("trace %s has no root span", tr.TraceID)
	}
	if root.OperationName != hop.Operation || tr.Service(root) != "saga-worker" {
		t.Errorf("hop root = %s from %s, want %s from saga-worker", root.OperationName, tr.Service(root), hop.Operation)
	}
	for key, want := range map[string]string{"dtid": dtid, "correlation_id": hop.CorrelationID} {
		if got := root.Tag(key); got != want {
			t.Errorf("hop %s: tag %s = %q, want %q", hop.Operation, key, got, want)
		}
	}
	linked := false
	for _, r := range root.References {
		linked = linked || (r.RefType == "FOLLOWS_FROM" && r.TraceID == orchestration)
	}
	if !linked {
		t.Errorf("hop %s root has no link to the orchestration trace %s: %+v", hop.Operation, orchestration, root.References)
	}
}

func TestOrderFailureRefundsThePaymentInItsOwnTrace(t *testing.T) {
	res := compensatedSaga(t)
	dtid := res.DTID
	if res.Status != workflows.StatusCompensated {
		t.Fatalf("result = %s, want %s", res.Status, workflows.StatusCompensated)
	}
	refund := res.Hops[2]

	payments := paymentsOf(t, dtid)
	if len(payments) != 1 || payments[0].State != paymentapi.StateRefunded {
		t.Fatalf("payments = %+v, want one refunded", payments)
	}
	last := payments[0].History[len(payments[0].History)-1]
	if last.State != paymentapi.StateRefunded || last.CorrelationID != refund.CorrelationID {
		t.Errorf("last payment row = %+v, want refunded by correlation_id %s", last, refund.CorrelationID)
	}
	orders := ordersOf(t, dtid)
	if len(orders) != 0 {
		t.Errorf("a refused order left rows: %+v", orders)
	}

	traces := tracesOf(t, dtid, refund.CorrelationID, res.Hops[0].CorrelationID)
	orch, ok := orchestrationTrace(traces)
	if !ok {
		t.Fatal("no orchestration trace")
	}
	requireHopTrace(t, traces[refund.CorrelationID], refund, dtid, orch.TraceID)
	if root, _ := rootOf(traces[refund.CorrelationID]); root.Tag("saga.compensation") != "true" {
		t.Errorf("refund hop not marked as compensation: %+v", root.Tags)
	}
}
