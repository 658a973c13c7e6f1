package component

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"go.temporal.io/sdk/worker"

	"github.com/sagatrace/sagatrace/activities"
	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/telemetry"
	"github.com/sagatrace/sagatrace/internal/temporalclient"
	"github.com/sagatrace/sagatrace/services/order"
	"github.com/sagatrace/sagatrace/services/payment"
	"github.com/sagatrace/sagatrace/services/scoring"
	"github.com/sagatrace/sagatrace/workflows"
)

// WorkerConfig locates what the saga worker talks to.
type WorkerConfig struct {
	Common
	TemporalAddress string
	Namespace       string
	TaskQueue       string
	PaymentURL      string
	OrderURL        string
	NATSURL         string
}

// Validate reports every missing setting at once.
func (c WorkerConfig) Validate() error {
	var errs []error
	for _, s := range []struct{ flag, value string }{
		{"--temporal-address", c.TemporalAddress}, {"--namespace", c.Namespace},
		{"--payment-url", c.PaymentURL}, {"--order-url", c.OrderURL}, {"--nats-url", c.NATSURL},
	} {
		if s.value == "" {
			errs = append(errs, fmt.Errorf("worker: %s is required", s.flag))
		}
	}
	return errors.Join(errs...)
}

// StartWorker makes sure the DTID search attribute exists, then polls the
// saga task queue.
func StartWorker(ctx context.Context, cfg WorkerConfig) (*Running, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.TaskQueue == "" {
		cfg.TaskQueue = workflows.TaskQueue
	}
	r := newRunning("saga-worker")
	return startOrCleanup(ctx, r, func() error {
		logger := cfg.Logger.With(slog.String("service", r.Name))
		tp, err := cfg.tracerProvider(ctx, r, r.Name)
		if err != nil {
			return err
		}
		prop := telemetry.Propagator()
		js, err := connectJetStream(r, cfg.NATSURL)
		if err != nil {
			return err
		}
		tc, err := temporalclient.Dial(ctx, temporalclient.Options{
			Address: cfg.TemporalAddress, Namespace: cfg.Namespace, TracerProvider: tp, Logger: logger,
		})
		if err != nil {
			return err
		}
		r.onStop(func(context.Context) error { tc.Close(); return nil })
		added, err := temporalclient.EnsureDTIDSearchAttribute(ctx, tc, cfg.Namespace)
		if err != nil {
			return err
		}
		if added {
			logger.Info("registered the DTID search attribute", slog.String("namespace", cfg.Namespace))
		}
		hc := httpapi.NewHTTPClient(tp, prop)
		w := worker.New(tc, cfg.TaskQueue, worker.Options{})
		workflows.Register(w)
		w.RegisterActivity(&activities.Activities{
			Payments:      payment.NewClient(cfg.PaymentURL, hc),
			Orders:        order.NewClient(cfg.OrderURL, hc),
			Scores:        scoring.NewPublisher(js, tp, prop),
			Tracer:        tp.Tracer("github.com/sagatrace/sagatrace/activities"),
			Logger:        logger,
			FaultsEnabled: cfg.FaultsEnabled,
		})
		if err := w.Start(); err != nil {
			return fmt.Errorf("saga-worker: start polling %s: %w", cfg.TaskQueue, err)
		}
		// Stop waits for the activities in flight; the workflows resume on
		// any worker from their history.
		r.onStop(func(context.Context) error { w.Stop(); return nil })
		return nil
	})
}
