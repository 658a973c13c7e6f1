package component

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.temporal.io/sdk/worker"

	"github.com/sagatrace/sagatrace/activities"
	"github.com/sagatrace/sagatrace/internal/auth"
	"github.com/sagatrace/sagatrace/internal/httpclient"
	"github.com/sagatrace/sagatrace/internal/telemetry"
	"github.com/sagatrace/sagatrace/internal/temporalclient"
	"github.com/sagatrace/sagatrace/services/order/orderapi"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
	"github.com/sagatrace/sagatrace/services/scoring"
	"github.com/sagatrace/sagatrace/workflows"
)

// WorkerConfig locates what the saga worker talks to.
type WorkerConfig struct {
	Common
	TemporalAddress string
	Namespace       string
	// TemporalTLS is the worker's mTLS material; zero: plaintext.
	TemporalTLS temporalclient.TLS
	TaskQueue   string
	// ServiceURLs holds the base URL of each of Services(), by name.
	ServiceURLs map[string]string
	NATSURL     string
	// NATSSeedFile holds the nkey seed this component connects to NATS
	// with (--nats-nkey); empty for a server without users.
	NATSSeedFile string
	// Auth is where the worker's tokens for the services come from.
	Auth auth.ClientConfig
	// Deployment is the worker's Worker Deployment version; a zero value
	// runs it unversioned.
	Deployment WorkerDeployment
	// AutoRetry is the slow automatic retry of parked sagas; the zero value
	// turns it off.
	AutoRetry workflows.AutoRetry
	// CodecKeyFile is the payload codec's key file (--codec-key-file); ""
	// keeps payloads in clear.
	CodecKeyFile string
}

// Validate reports every missing setting at once.
func (c WorkerConfig) Validate() error {
	settings := []setting{{"--temporal-address", c.TemporalAddress}, {"--namespace", c.Namespace}, {"--nats-url", c.NATSURL}}
	for _, svc := range Services() {
		settings = append(settings, setting{"--" + svc.Name + "-url", c.ServiceURLs[svc.Name]})
	}
	return errors.Join(required("worker", settings...), c.Deployment.validate(), c.AutoRetry.Validate())
}

// workerStopTimeout bounds how long a stopping worker lets its activities
// finish: within `sagatrace dev`'s 10 s to stop, beyond a normal hop.
const workerStopTimeout = 5 * time.Second

// WorkerOptions are the saga worker's settings; `bench saga` runs its
// no-op baseline with the same. Four pollers per task type instead of the
// SDK's two: with a hundred sagas in flight, tasks waited seconds in the
// queue for a poll while the workers idled.
func WorkerOptions() worker.Options {
	return worker.Options{
		WorkerStopTimeout:                workerStopTimeout,
		MaxConcurrentWorkflowTaskPollers: 4,
		MaxConcurrentActivityTaskPollers: 4,
	}
}

// StartWorker makes sure the DTID search attribute exists, then polls the
// saga task queue.
func StartWorker(ctx context.Context, cfg WorkerConfig) (*Running, error) {
	if err := invalid(cfg.Validate()); err != nil {
		return nil, err
	}
	if cfg.TaskQueue == "" {
		cfg.TaskQueue = workflows.TaskQueue
	}
	return start(ctx, "saga-worker", cfg.Common, func(r *Running, logger *slog.Logger, tp *sdktrace.TracerProvider) error {
		prop := telemetry.Propagator()
		js, err := connectJetStream(r, cfg.NATSURL, cfg.NATSSeedFile)
		if err != nil {
			return err
		}
		tc, _, err := dialTemporal(ctx, r, cfg.TemporalAddress, cfg.Namespace, cfg.TemporalTLS, cfg.CodecKeyFile, tp, logger)
		if err != nil {
			return err
		}
		added, err := temporalclient.EnsureSearchAttributes(ctx, tc, cfg.Namespace)
		if err != nil {
			return err
		}
		if len(added) > 0 {
			logger.Info("registered search attributes", slog.Any("attributes", added), slog.String("namespace", cfg.Namespace))
		}
		creds, err := credentials(r.Name, cfg.Auth, logger)
		if err != nil {
			return err
		}
		// Each service's token holds the scopes the step table lists for it
		// (the forward hop, its compensation, and the reads with which a
		// compensation finds what a step of unknown outcome created). Fault
		// plans of drills count only with faults:inject, which the worker
		// asks for only when it runs drills itself (--faults).
		steps := workflows.OrderSagaSteps()
		scopes := func(audience string) []string {
			s := workflows.WorkerScopes(steps, audience)
			if cfg.FaultsEnabled {
				s = append(s, auth.ScopeFaultsInject)
			}
			return s
		}
		hc := httpclient.NewHTTPClient(tp, prop)
		// On Stop the worker stops polling at once and gives the activities
		// in flight workerStopTimeout to finish before their contexts are
		// cancelled (the SDK's default is to cancel them at once).
		opts := WorkerOptions()
		cfg.Deployment.apply(&opts)
		w := worker.New(tc, cfg.TaskQueue, opts)
		workflows.RegisterWith(w, workflows.Options{AutoRetry: cfg.AutoRetry})
		hops := activities.Hops{Tracer: tp.Tracer("github.com/sagatrace/sagatrace/activities"), Logger: logger}
		w.RegisterActivity(&activities.PaymentActivities{Hops: hops,
			Payments: paymentapi.NewClient(cfg.ServiceURLs[paymentapi.Audience], creds.Client(hc, paymentapi.Audience, scopes(paymentapi.Audience)...))})
		w.RegisterActivity(&activities.OrderActivities{Hops: hops,
			Orders: orderapi.NewClient(cfg.ServiceURLs[orderapi.Audience], creds.Client(hc, orderapi.Audience, scopes(orderapi.Audience)...))})
		w.RegisterActivity(&activities.ScoringActivities{Hops: hops,
			Scores: scoring.NewPublisher(js, tp, prop), FaultsEnabled: cfg.FaultsEnabled})
		w.RegisterActivity(&activities.Sagas{Client: tc, Namespace: cfg.Namespace})
		if err := w.Start(); err != nil {
			return fmt.Errorf("saga-worker: start polling %s: %w", cfg.TaskQueue, err)
		}
		// Stop waits for the activities in flight; the workflows resume on
		// any worker from their history.
		r.onStop(func(context.Context) error { w.Stop(); return nil })
		// Once it polls: until its version is current, a versioned worker
		// gets no saga's workflow task.
		return cfg.Deployment.promote(ctx, tc, "sagatrace serve worker "+cfg.Deployment.BuildID, logger)
	})
}
