package e2e

import (
	"io"
	"log/slog"
	"testing"

	"github.com/sagatrace/sagatrace/internal/auth"
	"github.com/sagatrace/sagatrace/internal/bench"
	"github.com/sagatrace/sagatrace/internal/natsauth"
	"github.com/sagatrace/sagatrace/services/order/orderapi"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
)

// `sagatrace bench saga` runs briefly against the real stack so it cannot
// rot; speed is reported by the command, never asserted here.
func TestBenchSagaRunsEveryCase(t *testing.T) {
	s := shared.stack
	res, err := bench.RunSaga(t.Context(), bench.SagaOptions{
		Sagas: 4, Concurrency: 2, Warmup: 1,
		TemporalAddress: s.Temporal.HostPort(), Namespace: "default",
		PaymentURL: s.Service(paymentapi.Audience).URL(), OrderURL: s.Service(orderapi.Audience).URL(), NATSURL: s.NATS.ClientURL(),
		NATSSeedFile: s.NATSKeys.Seeds[natsauth.Worker],
		OTLPEndpoint: "http://" + s.Jaeger.OTLPHTTPEndpoint(),
		Progress:     io.Discard, Logger: slog.New(slog.DiscardHandler),
		Auth: auth.ClientConfig{KeyFile: s.Keys.PrivateKeyFile},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Cases) != 3 {
		t.Fatalf("cases = %d, want 3", len(res.Cases))
	}
	for _, c := range res.Cases {
		if c.Sagas != 4 || c.Failed != 0 || c.Rate <= 0 || c.P99 < c.P50 {
			t.Errorf("case %q = %+v", c.Name, c)
		}
	}
	if res.RealVsBaseline <= 0 || res.TracedVsUntraced <= 0 {
		t.Errorf("ratios = %v, %v", res.RealVsBaseline, res.TracedVsUntraced)
	}
}
