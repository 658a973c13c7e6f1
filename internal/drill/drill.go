// Package drill breaks sagas on purpose against a running stack and proves
// that nothing is lost: each scenario runs its sagas concurrently with a
// fault plan (or kills a worker under them), then reads what the services,
// Temporal and Jaeger hold for every DTID into a Ledger and checks its
// invariants with Check — money taken if and only if the order stands,
// scored once or never, every hop attempt traced.
package drill

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/trace"
	"go.temporal.io/sdk/client"

	"github.com/sagatrace/sagatrace/internal/auth"
	"github.com/sagatrace/sagatrace/internal/jaegerquery"
	"github.com/sagatrace/sagatrace/internal/payloadcodec"
	"github.com/sagatrace/sagatrace/internal/telemetry"
	"github.com/sagatrace/sagatrace/internal/temporalclient"
	"github.com/sagatrace/sagatrace/services/order/orderapi"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
	"github.com/sagatrace/sagatrace/services/scoring/scoringapi"
)

// Options say which scenarios to run, how hard, and where the stack is.
type Options struct {
	// Scenarios are names from Scenarios(); none or "all" runs every one.
	Scenarios []string
	// Sagas per scenario, of which Concurrency run at once.
	Sagas, Concurrency int
	// SagaTimeout is how long one saga may take before it counts as stuck.
	SagaTimeout time.Duration

	TemporalAddress, Namespace       string
	PaymentURL, OrderURL, ScoringURL string
	JaegerURL                        string
	// NATSURL is where the drill's own worker reaches NATS, directly or
	// through the drill's proxy (scoring-unavailable, publish-ack-lost).
	NATSURL string
	// NATSSeedFile is the nkey seed of the NATS worker user the drill's
	// own worker connects with.
	NATSSeedFile string
	// OTLPEndpoint receives the drill's spans and its worker's; empty
	// defers to the OTEL_* variables.
	OTLPEndpoint string
	// WorkerBinary is a sagatrace binary, run as `serve worker` by the
	// scenarios that need a worker of their own (Race.ownWorker).
	WorkerBinary string
	// Auth is where the drill's tokens come from (read scopes for its
	// checks); its worker process is given the same key or token file.
	Auth auth.ClientConfig
	// CodecKeyFile is the payload codec's key file, the stack's, for the
	// drill's client and its worker process; "" keeps payloads in clear.
	CodecKeyFile string
	// Progress receives human-readable progress; Logger the SDK's logs.
	Progress io.Writer
	Logger   *slog.Logger
}

// Validate reports every problem of o at once.
func (o Options) Validate() error {
	var errs []error
	if o.Sagas < 1 || o.Concurrency < 1 {
		errs = append(errs, fmt.Errorf("sagas (%d) and concurrency (%d) must be at least 1", o.Sagas, o.Concurrency))
	}
	if o.SagaTimeout <= 0 {
		errs = append(errs, fmt.Errorf("saga timeout must be positive, got %s", o.SagaTimeout))
	}
	for _, s := range []struct{ name, value string }{
		{"temporal address", o.TemporalAddress}, {"namespace", o.Namespace}, {"payment URL", o.PaymentURL},
		{"order URL", o.OrderURL}, {"scoring URL", o.ScoringURL}, {"Jaeger URL", o.JaegerURL},
	} {
		if s.value == "" {
			errs = append(errs, fmt.Errorf("%s is required", s.name))
		}
	}
	if _, err := Select(o.Scenarios); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// driver holds what every scenario talks to.
type driver struct {
	o        Options
	temporal client.Client
	tracer   trace.Tracer
	http     *http.Client       // Jaeger's API: no token
	scores   *scoringapi.Client // the scores API, with a token holding scores:read
	payments *paymentapi.Client
	// charger may charge too (payments:write): late-charge-after-undo
	// charges a compensated DTID again, as a late caller would.
	charger *paymentapi.Client
	orders  *orderapi.Client
	// issuer mints the expired token of token-expires-mid-retry; nil when
	// the drill was given a token file rather than the issuer's key.
	issuer   *auth.Issuer
	log      *slog.Logger
	jaeger   *jaegerquery.Client
	progress io.Writer
}

// Run runs the selected scenarios one after the other — so that a killed
// worker only ever hits its own scenario's sagas — and reports each. An
// error means the drill could not run or could not read what it must
// check; broken invariants are in the Report, not an error.
func Run(ctx context.Context, o Options) (Report, error) {
	if err := o.Validate(); err != nil {
		return Report{}, err
	}
	scenarios, _ := Select(o.Scenarios)
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	// The drill's spans (service sagatrace-cli) root each saga's
	// orchestration trace, as `sagatrace start` does.
	tp, err := telemetry.NewTracerProvider(ctx, telemetry.Config{ServiceName: "sagatrace-cli", OTLPEndpoint: o.OTLPEndpoint})
	if err != nil {
		return Report{}, err
	}
	defer telemetry.Shutdown(tp, 5*time.Second)
	topts := temporalclient.Options{Address: o.TemporalAddress, Namespace: o.Namespace, TracerProvider: tp, Logger: o.Logger}
	if o.CodecKeyFile != "" {
		if topts.Codec, err = payloadcodec.LoadCodec(o.CodecKeyFile); err != nil {
			return Report{}, err
		}
	}
	tc, err := temporalclient.Dial(ctx, topts)
	if err != nil {
		return Report{}, err
	}
	defer tc.Close()
	creds, err := auth.NewCredentials(o.Auth, "sagatrace-drill")
	if err != nil {
		return Report{}, fmt.Errorf("auth: %w", err)
	}
	var issuer *auth.Issuer
	if o.Auth.KeyFile != "" {
		key, err := auth.LoadPrivateKey(o.Auth.KeyFile)
		if err != nil {
			return Report{}, fmt.Errorf("auth: %w", err)
		}
		issuer = auth.NewIssuer(key, o.Auth.Issuer)
	}
	hc := &http.Client{Timeout: 15 * time.Second}
	d := &driver{
		o: o, temporal: tc, tracer: tp.Tracer("github.com/sagatrace/sagatrace/internal/drill"), http: hc,
		scores:   scoringapi.NewClient(o.ScoringURL, creds.Client(hc, scoringapi.Audience, scoringapi.ScopeRead)),
		payments: paymentapi.NewClient(o.PaymentURL, creds.Client(hc, paymentapi.Audience, paymentapi.ScopeRead)),
		charger:  paymentapi.NewClient(o.PaymentURL, creds.Client(hc, paymentapi.Audience, paymentapi.ScopeWrite)),
		log:      o.Logger,
		orders:   orderapi.NewClient(o.OrderURL, creds.Client(hc, orderapi.Audience, orderapi.ScopeRead)),
		jaeger:   &jaegerquery.Client{BaseURL: o.JaegerURL, HTTP: hc}, progress: o.Progress, issuer: issuer,
	}
	var rep Report
	for _, sc := range scenarios {
		sr, err := d.scenario(ctx, sc)
		if err != nil {
			return rep, fmt.Errorf("scenario %s: %w", sc.Name, err)
		}
		rep.Scenarios = append(rep.Scenarios, sr)
	}
	return rep, nil
}
