package scoring

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// ConsumerConfig says which partitions this instance owns and how it
// batches them.
type ConsumerConfig struct {
	// PartitionCount is N of the stream's partition(N,1) transform.
	PartitionCount int
	// Partitions owned by this instance; several instances split the stream
	// by owning disjoint sets. Empty means all.
	Partitions []int
	// Flush says when a shard writes its batch.
	Flush FlushPolicy
	// PullBatch is how many messages the client buffers per partition: with
	// hot and cold, the engine's memory bound on the wire side.
	PullBatch int
	// MaxLinks bounds the span links of one flush span.
	MaxLinks int
}

// withDefaults fills zero values and checks the bounds fit together.
func (c ConsumerConfig) withDefaults() (ConsumerConfig, error) {
	if c.PartitionCount == 0 {
		c.PartitionCount = 16
	}
	if len(c.Partitions) == 0 {
		for p := range c.PartitionCount {
			c.Partitions = append(c.Partitions, p)
		}
	}
	flush, err := c.Flush.withDefaults()
	c.Flush = flush
	errs := []error{err}
	c.PullBatch = orDefault(c.PullBatch, 1024)
	c.MaxLinks = orDefault(c.MaxLinks, DefaultMaxLinks)
	for _, p := range c.Partitions {
		if p < 0 || p >= c.PartitionCount {
			errs = append(errs, fmt.Errorf("partition %d is outside 0-%d", p, c.PartitionCount-1))
		}
	}
	return c, errors.Join(errs...)
}

// flushHooks are seams inside a flush for the crash tests, which stop a
// flush at its most dangerous points; production leaves them nil.
type flushHooks struct {
	afterSwap   func(partition int) // cold handed to the flusher, nothing committed
	afterCommit func(partition int) // committed, not yet reported to the partition
}

// commitTotals counts events and distinct-profile rows in committed
// batches, across partitions, for benchmarks and tests that wait for a
// backlog to drain.
type commitTotals struct {
	events, rows atomic.Int64
}

// Consumer runs one partition goroutine per owned partition.
type Consumer struct {
	cfg    ConsumerConfig
	logger *slog.Logger
	// hooks are set by tests in this package before Run.
	hooks  flushHooks
	totals commitTotals
	deps   partitionDeps
	// parts is filled before Run starts the goroutines and read-only after.
	parts map[int]*partition
}

// CommittedTotals returns how many events and distinct-profile rows this
// consumer has committed since it started.
func (c *Consumer) CommittedTotals() (events, rows int64) {
	return c.totals.events.Load(), c.totals.rows.Load()
}

// NewConsumer returns a Consumer whose metrics go to reg; Run starts it.
func NewConsumer(js jetstream.JetStream, store *Store, cfg ConsumerConfig, tp trace.TracerProvider,
	prop propagation.TextMapPropagator, logger *slog.Logger, reg prometheus.Registerer) (*Consumer, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("scoring consumer: %w", err)
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, fmt.Errorf("scoring consumer: metrics: %w", err)
	}
	c := &Consumer{cfg: cfg, logger: logger, parts: map[int]*partition{}}
	c.deps = partitionDeps{
		js: js, store: store, prop: prop, metrics: m, totals: &c.totals,
		tracer: tp.Tracer("github.com/sagatrace/sagatrace/services/scoring"),
	}
	for _, p := range cfg.Partitions {
		c.parts[p] = newPartition(p, cfg, c.deps, logger.With(slog.Int("partition", p)))
	}
	return c, nil
}

// Run consumes until ctx ends, flushes what it holds, and returns after
// every partition stopped. A partition that fails stops them all.
func (c *Consumer) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, len(c.parts))
	for _, p := range c.parts {
		p.hooks = c.hooks
		wg.Go(func() {
			if err := p.run(ctx); err != nil {
				errs <- err
				cancel()
			}
		})
	}
	wg.Wait()
	close(errs)
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	return errors.Join(all...)
}

// PartitionOf is the partition NATS assigns to profile: fnv32a of the
// subject token modulo N, as the stream's partition(N,1) transform does.
func PartitionOf(profile string, n int) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(profile))
	return int(h.Sum32() % uint32(n))
}

// Pending returns what this instance holds for profile in hot and cold,
// batch by batch; owned is false when another instance owns its partition.
func (c *Consumer) Pending(ctx context.Context, profile string) (pending Pending, owned bool, err error) {
	p, ok := c.parts[c.PartitionOf(profile)]
	if !ok {
		return nil, false, nil
	}
	pending, err = p.pending(ctx, profile)
	return pending, true, err
}

// PartitionOf returns the partition of profile in this consumer's stream.
func (c *Consumer) PartitionOf(profile string) int { return PartitionOf(profile, c.cfg.PartitionCount) }

// partitionLabel is a partition's metric label.
func partitionLabel(p int) string { return strconv.Itoa(p) }
