package component

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sagatrace/sagatrace/internal/database"
	"github.com/sagatrace/sagatrace/internal/telemetry"
	"github.com/sagatrace/sagatrace/services/scoring"
)

// ScoringConfig configures the scoring service.
type ScoringConfig struct {
	Common
	Listen      string
	DatabaseURL string
	NATSURL     string
	// PartitionCount is N of the stream's partition(N,1) transform.
	PartitionCount int
	// Partitions this instance owns; empty means all of them.
	Partitions []int
}

// StartScoring creates the streams, starts the consumers of the owned
// partitions and serves the scores API.
func StartScoring(ctx context.Context, cfg ScoringConfig) (*Running, error) {
	if cfg.PartitionCount == 0 {
		cfg.PartitionCount = 16
	}
	if len(cfg.Partitions) == 0 {
		for p := range cfg.PartitionCount {
			cfg.Partitions = append(cfg.Partitions, p)
		}
	}
	for _, p := range cfg.Partitions {
		if p < 0 || p >= cfg.PartitionCount {
			return nil, fmt.Errorf("scoring: partition %d is outside 0-%d", p, cfg.PartitionCount-1)
		}
	}
	r := newRunning("scoring")
	return startOrCleanup(ctx, r, func() error {
		logger := cfg.Logger.With(slog.String("service", r.Name))
		tp, err := cfg.tracerProvider(ctx, r, r.Name)
		if err != nil {
			return err
		}
		prop := telemetry.Propagator()
		db, err := database.Open(ctx, cfg.DatabaseURL)
		if err != nil {
			return fmt.Errorf("scoring: %w", err)
		}
		r.onStop(func(context.Context) error { return db.Close() })
		store, err := scoring.NewStore(ctx, db, tp)
		if err != nil {
			return err
		}
		nc, err := nats.Connect(cfg.NATSURL, nats.Name(r.Name))
		if err != nil {
			return fmt.Errorf("scoring: connect to NATS at %s: %w", cfg.NATSURL, err)
		}
		r.onStop(func(context.Context) error { nc.Close(); return nil })
		js, err := jetstream.New(nc)
		if err != nil {
			return fmt.Errorf("scoring: JetStream: %w", err)
		}
		setupCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := scoring.EnsureStreams(setupCtx, js, scoring.StreamConfig{Partitions: cfg.PartitionCount}); err != nil {
			return fmt.Errorf("scoring: %w", err)
		}
		consumer := scoring.NewConsumer(js, store, scoring.ConsumerConfig{Partitions: cfg.Partitions}, tp, prop, logger)
		runCtx, stopConsumer := context.WithCancel(context.WithoutCancel(ctx))
		consumed := make(chan struct{})
		go func() {
			defer close(consumed)
			if err := consumer.Run(runCtx); err != nil {
				r.fail(err)
			}
		}()
		r.onStop(func(ctx context.Context) error {
			stopConsumer()
			select {
			case <-consumed:
				return nil
			case <-ctx.Done():
				return fmt.Errorf("scoring: consumers did not stop: %w", ctx.Err())
			}
		})
		srv := scoring.NewServer(store, tp, prop, logger)
		return serveHTTP(r, cfg.Listen, srv.Handler(), logger)
	})
}
