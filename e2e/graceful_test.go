package e2e

import (
	"context"
	"log/slog"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/sagatrace/sagatrace/internal/auth"
	"github.com/sagatrace/sagatrace/internal/component"
	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/natsauth"
	"github.com/sagatrace/sagatrace/services/order/orderapi"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
	"github.com/sagatrace/sagatrace/workflows"
)

// A worker that is stopped stops polling but lets the activity in flight
// finish: the slow order.create completes on its first attempt, and the
// saga goes on, on the next worker, without retrying it.
func TestStoppingWorkerFinishesItsActivityInFlight(t *testing.T) {
	s := shared.stack
	queue := "graceful-" + ids.NewDTID()
	cfg := component.WorkerConfig{
		Common: component.Common{
			OTLPEndpoint: "http://" + s.Jaeger.OTLPHTTPEndpoint(), Logger: slog.New(slog.DiscardHandler), FaultsEnabled: true,
		},
		TemporalAddress: s.Temporal.HostPort(), Namespace: "default", TaskQueue: queue,
		ServiceURLs: map[string]string{paymentapi.Audience: s.Service(paymentapi.Audience).URL(), orderapi.Audience: s.Service(orderapi.Audience).URL()},
		NATSURL:     s.NATS.ClientURL(), NATSSeedFile: s.NATSKeys.Seeds[natsauth.Worker],
		Auth: auth.ClientConfig{KeyFile: s.Keys.PrivateKeyFile},
	}
	first, err := component.StartWorker(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	in := sagaInput(ids.NewDTID())
	in.Faults = map[string]string{"order.create": "latency:2s"}
	run, err := shared.temporal.ExecuteWorkflow(t.Context(), client.StartWorkflowOptions{
		ID: workflows.WorkflowID(in.DTID), TaskQueue: queue,
	}, workflows.WorkflowType, in)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, func() (bool, string) {
		desc, err := shared.temporal.DescribeWorkflowExecution(t.Context(), run.GetID(), run.GetRunID())
		if err != nil {
			return false, err.Error()
		}
		for _, a := range desc.GetPendingActivities() {
			if a.GetActivityType().GetName() == "CreateOrder" && a.GetState() == enumspb.PENDING_ACTIVITY_STATE_STARTED {
				return true, ""
			}
		}
		return false, "order.create is not in flight yet"
	})

	stopCtx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	began := time.Now()
	if err := first.Stop(stopCtx); err != nil {
		t.Fatalf("stop: %v", err)
	}
	t.Logf("the worker stopped in %s", time.Since(began).Round(time.Millisecond))
	var orders orderapi.Page
	getJSON(t, s.Service(orderapi.Audience).URL()+"/v1/orders?dtid="+in.DTID, &orders)
	if len(orders.Items) != 1 || orders.Items[0].State != orderapi.StateConfirmed {
		t.Fatalf("orders after the stop = %+v, want the one the activity in flight confirmed", orders.Items)
	}

	second, err := component.StartWorker(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = second.Stop(context.WithoutCancel(t.Context())) })
	ctx, cancelRun := context.WithTimeout(t.Context(), time.Minute)
	defer cancelRun()
	var res workflows.Result
	if err := run.Get(ctx, &res); err != nil {
		t.Fatalf("saga: %v", err)
	}
	for _, h := range res.Hops {
		if h.Operation == "order.create" && h.Attempt != 1 {
			t.Errorf("order.create completed on attempt %d, want 1: the stop cut it short", h.Attempt)
		}
	}
}
