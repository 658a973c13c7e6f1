package component

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/sagatrace/sagatrace/internal/telemetry"
	"github.com/sagatrace/sagatrace/services/scoring"
)

// ScoringConfig configures the scoring service.
type ScoringConfig struct {
	Common
	Listen      string
	DatabaseURL string
	NATSURL     string
	// NATSSeedFile holds the nkey seed this component connects to NATS
	// with (--nats-nkey); empty for a server without users.
	NATSSeedFile string
	// PartitionCount is N of the stream's partition(N,1) transform.
	PartitionCount int
	// Partitions pins this instance to these by hand; empty: it shares all
	// partitions with the other instances (scoring.ConsumerConfig).
	Partitions []int
	// MemberTTL bounds how long a dead instance keeps its partitions.
	MemberTTL time.Duration
	// Stream sizes the scoring stream when this instance creates it; its
	// Partitions is PartitionCount.
	Stream scoring.StreamConfig
	// Flush says when each partition writes its batch.
	Flush scoring.FlushPolicy
	Auth  ServiceAuth
}

// StartScoring creates the streams, starts the consumers of the owned
// partitions and serves the scores API.
func StartScoring(ctx context.Context, cfg ScoringConfig) (*Running, error) {
	if cfg.PartitionCount == 0 {
		cfg.PartitionCount = 16
	}
	// SQLite with synchronous=NORMAL: safe here, see scoring.DatabaseURL.
	return startService(ctx, "scoring", ServiceConfig{Common: cfg.Common, Listen: cfg.Listen, DatabaseURL: scoring.DatabaseURL(cfg.DatabaseURL)},
		func(r *Running, db *sql.DB, tp trace.TracerProvider, logger *slog.Logger) (http.Handler, error) {
			ac, err := cfg.Auth.load("scoring", logger)
			if err != nil {
				return nil, err
			}
			store, err := scoring.NewStore(ctx, db, tp)
			if err != nil {
				return nil, err
			}
			js, err := connectJetStream(r, cfg.NATSURL, cfg.NATSSeedFile)
			if err != nil {
				return nil, err
			}
			setupCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			stream := cfg.Stream
			stream.Partitions = cfg.PartitionCount
			if err := scoring.EnsureStreams(setupCtx, js, stream, logger); err != nil {
				return nil, err
			}
			prop := telemetry.Propagator()
			consumer, err := scoring.NewConsumer(js, store, scoring.ConsumerConfig{
				PartitionCount: cfg.PartitionCount, Partitions: cfg.Partitions, Flush: cfg.Flush,
				MemberTTL: cfg.MemberTTL, Replicas: stream.Replicas,
			}, tp, prop, logger, r.Registry)
			if err != nil {
				return nil, err
			}
			runInBackground(r, "consumers", consumer.Run)
			api, err := scoring.NewServer(scoring.ServerConfig{Auth: ac}, store, consumer, tp, prop, logger)
			if err != nil {
				return nil, err
			}
			return api.Handler(), nil
		})
}

// runInBackground runs fn until r stops; an early error ends r.
func runInBackground(r *Running, what string, fn func(context.Context) error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := fn(ctx); err != nil {
			r.fail(fmt.Errorf("%s: %s: %w", r.Name, what, err))
		}
	}()
	r.onStop(func(stopCtx context.Context) error {
		cancel()
		select {
		case <-done:
			return nil
		case <-stopCtx.Done():
			return fmt.Errorf("%s: %s did not stop: %w", r.Name, what, stopCtx.Err())
		}
	})
}
