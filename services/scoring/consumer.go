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
	"time"

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
	// FlushInterval is how often hot is swapped out and written.
	FlushInterval time.Duration
	// AckWait is how long the server waits for an ack before redelivering;
	// a flush must finish well inside it.
	AckWait time.Duration
	// MaxAckPending bounds the unacknowledged messages per partition: with
	// hot and cold, the engine's memory bound on the wire side.
	MaxAckPending int
	// PullBatch is how many messages one pull request asks for.
	PullBatch int
	Shard     ShardConfig
	// Hooks lets crash tests stop a flush at its most dangerous points.
	Hooks *Hooks
}

// Hooks are test seams inside a flush; nil in production.
type Hooks struct {
	AfterSwap   func(partition int) // cold handed to the flusher, nothing committed
	AfterCommit func(partition int) // committed, not yet acked
}

func (h *Hooks) afterSwap(p int) {
	if h != nil && h.AfterSwap != nil {
		h.AfterSwap(p)
	}
}

func (h *Hooks) afterCommit(p int) {
	if h != nil && h.AfterCommit != nil {
		h.AfterCommit(p)
	}
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
	c.FlushInterval = orDefault(c.FlushInterval, time.Second)
	c.AckWait = orDefault(c.AckWait, 30*time.Second)
	if c.Shard == (ShardConfig{}) {
		c.Shard = DefaultShardConfig()
	}
	c.MaxAckPending = orDefault(c.MaxAckPending, 4*c.Shard.MaxHotEvents)
	c.PullBatch = orDefault(c.PullBatch, 1024)
	var errs []error
	for _, p := range c.Partitions {
		if p < 0 || p >= c.PartitionCount {
			errs = append(errs, fmt.Errorf("partition %d is outside 0-%d", p, c.PartitionCount-1))
		}
	}
	if c.Shard.MaxHotEvents >= c.MaxAckPending {
		errs = append(errs, fmt.Errorf("MaxHotEvents (%d) must be below MaxAckPending (%d), or the server stops delivering before hot is flushed", c.Shard.MaxHotEvents, c.MaxAckPending))
	}
	if c.FlushInterval >= c.AckWait/2 {
		errs = append(errs, fmt.Errorf("flush interval %s must be well inside AckWait %s", c.FlushInterval, c.AckWait))
	}
	return c, errors.Join(errs...)
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// Consumer runs one shard per owned partition.
type Consumer struct {
	js      jetstream.JetStream
	store   *Store
	cfg     ConsumerConfig
	tracer  trace.Tracer
	prop    propagation.TextMapPropagator
	logger  *slog.Logger
	metrics *metrics
	hooks   *Hooks
	labels  []string // partition → metric label, made once
	// parts is filled before Run starts the goroutines and read-only after.
	parts map[int]*partition
	// committed counts events (and rows) in committed batches, for
	// benchmarks and tests that wait for a backlog to drain.
	committed, rows atomic.Int64
}

// Committed returns how many events and distinct-profile rows this
// consumer has committed since it started.
func (c *Consumer) Committed() (events, rows int64) { return c.committed.Load(), c.rows.Load() }

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
	c := &Consumer{js: js, store: store, cfg: cfg, prop: prop, logger: logger, metrics: m, hooks: cfg.Hooks,
		tracer: tp.Tracer("github.com/sagatrace/sagatrace/services/scoring"), parts: map[int]*partition{}}
	for p := range cfg.PartitionCount {
		c.labels = append(c.labels, strconv.Itoa(p))
	}
	for _, p := range cfg.Partitions {
		label := c.labels[p]
		c.parts[p] = &partition{c: c, id: p, queries: make(chan pendingQuery),
			log:      logger.With(slog.Int("partition", p)),
			eventsIn: m.eventsIn.WithLabelValues(label), redelivered: m.redelivered.WithLabelValues(label),
			lag: m.lag.WithLabelValues(label)}
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
// not yet committed; owned is false when another instance owns its partition.
func (c *Consumer) Pending(ctx context.Context, profile string) (d Delta, owned bool, err error) {
	p, ok := c.parts[PartitionOf(profile, c.cfg.PartitionCount)]
	if !ok {
		return Delta{}, false, nil
	}
	q := pendingQuery{profile: profile, answer: make(chan Delta, 1)}
	select {
	case p.queries <- q:
	case <-ctx.Done():
		return Delta{}, true, fmt.Errorf("ask partition %d: %w", p.id, ctx.Err())
	}
	select {
	case d = <-q.answer:
		return d, true, nil
	case <-ctx.Done():
		return Delta{}, true, fmt.Errorf("ask partition %d: %w", p.id, ctx.Err())
	}
}

// resetConsumer recreates the partition's durable consumer to start right
// after watermark: the store, not the server's ack floor, is the truth
// about what was applied, and a restart resumes at once instead of waiting
// AckWait for redeliveries.
func (c *Consumer) resetConsumer(ctx context.Context, partition int, watermark uint64) (jetstream.Consumer, error) {
	name := fmt.Sprintf("scoring-p%d", partition)
	if err := c.js.DeleteConsumer(ctx, StreamName, name); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return nil, fmt.Errorf("partition %d: delete consumer %s: %w", partition, name, err)
	}
	cons, err := c.js.CreateConsumer(ctx, StreamName, jetstream.ConsumerConfig{
		Durable:       name,
		FilterSubject: PartitionSubject(partition),
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:   watermark + 1,
		AckPolicy:     jetstream.AckAllPolicy,
		AckWait:       c.cfg.AckWait,
		MaxAckPending: c.cfg.MaxAckPending,
	})
	if err != nil {
		return nil, fmt.Errorf("partition %d: create consumer %s: %w", partition, name, err)
	}
	return cons, nil
}
