package e2e

import (
	"bytes"
	"testing"
	"time"

	"github.com/sagatrace/sagatrace/internal/auth"
	"github.com/sagatrace/sagatrace/internal/drill"
	"github.com/sagatrace/sagatrace/internal/natsauth"
	"github.com/sagatrace/sagatrace/internal/servicetest"
	"github.com/sagatrace/sagatrace/services/order/orderapi"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
	"github.com/sagatrace/sagatrace/workflows"
)

// Every failure drill, a few sagas each, against the shared stack: no
// invariant may break, and every scenario's fault must land (exercised).
// The drills that run their own worker do so on a task queue of their own,
// so none reaches another's sagas; worker-killed still runs first and
// alone, so that the machine is quiet when it waits for activities in
// flight to kill. The others run side by side: the slowest
// (order-times-out, five 10 s timeouts) sets the pace.
func TestDrillEveryScenarioKeepsItsInvariants(t *testing.T) {
	bin := buildSagatrace(t) // worker-killed runs its worker
	t.Run("worker-killed", func(t *testing.T) { runDrill(t, "worker-killed", bin) })
	t.Run("faults", func(t *testing.T) {
		for _, sc := range drill.Scenarios() {
			if sc.Race == drill.RaceKillWorker {
				continue
			}
			t.Run(sc.Name, func(t *testing.T) {
				t.Parallel()
				runDrill(t, sc.Name, bin)
			})
		}
	})
}

func runDrill(t *testing.T, scenario, bin string) {
	const sagas = 3
	s := shared.stack
	var progress servicetest.LockedBuffer
	o := drill.Options{
		Scenarios: []string{scenario}, Sagas: sagas, Concurrency: sagas, SagaTimeout: 3 * time.Minute,
		TemporalAddress: s.Temporal.HostPort(), Namespace: "default",
		PaymentURL: s.Service(paymentapi.Audience).URL(), OrderURL: s.Service(orderapi.Audience).URL(), ScoringURL: s.Scoring.URL(),
		JaegerURL: s.Jaeger.QueryURL(), NATSURL: s.NATS.ClientURL(), NATSSeedFile: s.NATSKeys.Seeds[natsauth.Worker], OTLPEndpoint: "http://" + s.Jaeger.OTLPHTTPEndpoint(),
		WorkerBinary: bin, Progress: &progress, Auth: auth.ClientConfig{KeyFile: s.Keys.PrivateKeyFile},
	}
	rep, err := drill.Run(t.Context(), o)
	if err != nil {
		t.Fatalf("drill %s: %v\nprogress:\n%s", scenario, err, progress.String())
	}
	var table bytes.Buffer
	rep.Print(&table, drill.Links{TemporalUI: "http://temporal-ui", Jaeger: o.JaegerURL, Namespace: o.Namespace})
	t.Logf("\n%s", table.String())
	if n := rep.Violations(); n > 0 {
		t.Fatalf("%d violations; progress:\n%s", n, progress.String())
	}
	if len(rep.Scenarios) != 1 {
		t.Fatalf("scenarios reported = %d, want 1", len(rep.Scenarios))
	}
	sr, sc := rep.Scenarios[0], mustScenario(t, scenario)
	settled := map[workflows.Status]int{workflows.StatusCompleted: sr.Completed, workflows.StatusCompensated: sr.Compensated}
	if sr.Sagas != sagas || settled[sc.Want] != sagas {
		t.Errorf("%s: %+v, want all %d sagas %s", scenario, sr, sagas, sc.Want)
	}
}

func mustScenario(t *testing.T, name string) drill.Scenario {
	t.Helper()
	scs, err := drill.Select([]string{name})
	if err != nil {
		t.Fatal(err)
	}
	return scs[0]
}
