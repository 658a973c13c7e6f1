package scoring

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// flusher writes one shard's batches, one at a time, in order. It runs
// on its own goroutine so that the partition keeps filling hot while cold
// is written; in and done are its only contact with the partition.
type flusher struct {
	store  *Store
	tracer trace.Tracer
	hooks  flushHooks
	totals *commitTotals
	log    *slog.Logger
	in     chan *Batch
	done   chan error
	// The partition's collectors, looked up once.
	eventsFlushed, retries      prometheus.Counter
	poisoned                    prometheus.Counter
	flushDuration, rowsPerFlush prometheus.Observer
}

func newFlusher(partition int, deps partitionDeps, hooks flushHooks, log *slog.Logger) *flusher {
	return &flusher{
		store: deps.store, tracer: deps.tracer, hooks: hooks, totals: deps.totals, log: log,
		in: make(chan *Batch), done: make(chan error, 1),
		eventsFlushed: deps.metrics.eventsFlushed.WithLabelValues(partitionLabel(partition)),
		retries:       deps.metrics.flushRetries.WithLabelValues(partitionLabel(partition)),
		poisoned:      deps.metrics.poisoned,
		flushDuration: deps.metrics.flushDuration, rowsPerFlush: deps.metrics.rowsPerFlush,
	}
}

func (f *flusher) run(ctx context.Context) {
	for b := range f.in {
		f.done <- f.flush(ctx, b)
	}
}

// flush commits the batch, retrying until it succeeds, since dropping it
// would lose events. Nothing is acknowledged: the offset committed with the
// batch is where the next owner starts reading.
func (f *flusher) flush(ctx context.Context, b *Batch) error {
	start := time.Now()
	ctx, span := f.tracer.Start(ctx, "scoring.flush", trace.WithNewRoot(), trace.WithLinks(b.Links...),
		trace.WithAttributes(
			attribute.Int("scoring.partition", b.Partition),
			attribute.Int("scoring.events", b.Events),
			attribute.Int("scoring.rows", len(b.Deltas)),
			attribute.Int64("scoring.first_seq", int64(b.FirstSeq)),
			attribute.Int64("scoring.last_seq", int64(b.LastSeq)),
			attribute.Int("scoring.dropped_links", b.DroppedLinks),
		))
	defer span.End()
	if f.hooks.afterSwap != nil {
		f.hooks.afterSwap(b.Partition)
	}
	for backoff := 50 * time.Millisecond; ; backoff = min(2*backoff, 5*time.Second) {
		err := f.store.CommitBatch(ctx, b)
		if err == nil {
			break
		}
		if errors.Is(err, ErrOffsetMoved) {
			// The offset is exactly this batch's end: an earlier attempt
			// whose answer was lost (the connection dropped after the
			// server committed) moved it, or another instance that ran the
			// partition for a moment committed the same events. Either way
			// the store holds every event up to LastSeq, once.
			if off, readErr := f.store.Offset(ctx, b.Partition); readErr == nil && off == b.LastSeq {
				f.log.Info("the stored offset already holds this batch (an earlier attempt whose answer was lost, or another instance running this partition for a moment)", slog.Uint64("stream_seq", b.LastSeq))
				break
			}
			// Someone else committed this partition: another instance took
			// it over. Retrying would count their events twice.
			span.SetStatus(codes.Error, err.Error())
			return err
		}
		f.retries.Inc()
		f.log.Warn("flush failed, retrying", slog.Any("error", err), slog.Duration("backoff", backoff))
		select {
		case <-ctx.Done():
			span.SetStatus(codes.Error, "abandoned")
			return ctx.Err()
		case <-time.After(backoff):
		}
	}
	if f.hooks.afterCommit != nil {
		f.hooks.afterCommit(b.Partition)
	}
	if len(b.Poisoned) > 0 {
		f.poisoned.Add(float64(len(b.Poisoned)))
		f.log.Error("the database refused rows for good; kept in scoring_poison, the rest committed",
			slog.Int("rows", len(b.Poisoned)), slog.Uint64("first_seq", b.FirstSeq), slog.Uint64("last_seq", b.LastSeq))
	}
	f.totals.events.Add(int64(b.Events))
	f.totals.rows.Add(int64(len(b.Deltas)))
	f.eventsFlushed.Add(float64(b.Events))
	f.flushDuration.Observe(time.Since(start).Seconds())
	f.rowsPerFlush.Observe(float64(len(b.Deltas)))
	return nil
}
