package scoring

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// ConsumerConfig says which partitions this instance runs and how it
// batches them.
type ConsumerConfig struct {
	// PartitionCount is N of the stream's partition(N,1) transform.
	PartitionCount int
	// Partitions pins this instance to these partitions by hand. Empty: the
	// instance joins the others in MembersBucket and runs its share, n/k of
	// the partitions ±1 among k instances, taking over those of an instance
	// that dies within MemberTTL plus a renewal.
	Partitions []int
	// Flush says when a shard writes its batch.
	Flush FlushPolicy
	// PullBatch is how many messages the client buffers per partition: with
	// hot and cold, the engine's memory bound on the wire side.
	PullBatch int
	// MaxLinks bounds the span links of one flush span.
	MaxLinks int
	// InstanceID names this instance in MembersBucket; unique per process.
	// Default: host name, process ID and a random suffix.
	InstanceID string
	// MemberTTL is how long an instance that stopped renewing keeps its
	// partitions: the bound on takeover after a crash. It is renewed every
	// third of it.
	MemberTTL time.Duration
	// Replicas of MembersBucket when this instance creates it; 3 on a NATS
	// cluster, or losing one node loses the membership.
	Replicas int
}

// withDefaults fills zero values and checks the bounds fit together.
func (c ConsumerConfig) withDefaults() (ConsumerConfig, error) {
	if c.PartitionCount == 0 {
		c.PartitionCount = 16
	}
	flush, err := c.Flush.withDefaults()
	c.Flush = flush
	errs := []error{err}
	c.PullBatch = orDefault(c.PullBatch, 1024)
	c.MaxLinks = orDefault(c.MaxLinks, DefaultMaxLinks)
	c.MemberTTL = orDefault(c.MemberTTL, 3*time.Second)
	if c.InstanceID == "" {
		host, _ := os.Hostname()
		c.InstanceID = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), nuid.Next()[16:])
	}
	for _, p := range c.Partitions {
		if p < 0 || p >= c.PartitionCount {
			errs = append(errs, fmt.Errorf("partition %d is outside 0-%d", p, c.PartitionCount-1))
		}
	}
	if c.MemberTTL < 300*time.Millisecond {
		errs = append(errs, fmt.Errorf("member TTL %s is too short to be renewed reliably", c.MemberTTL))
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

// Consumer runs one partition goroutine per partition assigned to this
// instance, and follows the assignment as instances come and go.
type Consumer struct {
	cfg    ConsumerConfig
	logger *slog.Logger
	// hooks are set by tests in this package before Run.
	hooks  flushHooks
	totals commitTotals
	deps   partitionDeps
	// mu guards parts, the partitions running now, which Pending reads.
	mu    sync.RWMutex
	parts map[int]*partition
}

// CommittedTotals returns how many events and distinct-profile rows this
// consumer has committed since it started.
func (c *Consumer) CommittedTotals() (events, rows int64) {
	return c.totals.events.Load(), c.totals.rows.Load()
}

// InstanceID is this consumer's name among the scoring instances.
func (c *Consumer) InstanceID() string { return c.cfg.InstanceID }

// Running returns the partitions this instance runs now, sorted.
func (c *Consumer) Running() []int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return slices.Sorted(maps.Keys(c.parts))
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
	c := &Consumer{cfg: cfg, logger: logger.With(slog.String("instance", cfg.InstanceID)), parts: map[int]*partition{}}
	c.deps = partitionDeps{
		js: js, store: store, prop: prop, metrics: m, totals: &c.totals,
		tracer: tp.Tracer("github.com/sagatrace/sagatrace/services/scoring"),
	}
	return c, nil
}

// partitionExit is a partition goroutine's end.
type partitionExit struct {
	p   *partition
	err error
}

// restartDelay is how long a partition that failed waits before it is
// started again (if it is still this instance's).
const restartDelay = time.Second

// Run consumes until ctx ends, flushes what it holds, and returns after
// every partition stopped. Without pinned partitions it joins the other
// instances in MembersBucket, renews its key every third of MemberTTL, and
// starts and stops partitions as the assignment changes. A partition that
// fails — another instance committed it first, the store is unreachable —
// is started again after restartDelay while it is still assigned here.
func (c *Consumer) Run(ctx context.Context) error {
	var m *membership
	if len(c.cfg.Partitions) == 0 {
		var err error
		if m, err = join(ctx, c.deps.js, c.cfg.InstanceID, c.cfg.MemberTTL, c.cfg.Replicas); err != nil {
			return fmt.Errorf("scoring consumer: %w", err)
		}
		defer func() {
			leaveCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			if err := m.leave(leaveCtx); err != nil {
				c.logger.Warn("could not leave the membership; the others take over after the TTL", slog.Any("error", err))
			}
		}()
	}
	running := map[int]context.CancelFunc{}
	notBefore := map[int]time.Time{}
	exits := make(chan partitionExit, c.cfg.PartitionCount)
	tick := time.NewTicker(c.cfg.MemberTTL / 3)
	defer tick.Stop()
	want := c.cfg.Partitions
	for {
		if m != nil {
			want = c.assigned(ctx, m, want)
		}
		for p, cancel := range running {
			if cancel != nil && !slices.Contains(want, p) {
				c.logger.Info("partition released", slog.Int("partition", p))
				cancel()
				running[p] = nil // stopping: flushes what it holds, then exits
			}
		}
		for _, p := range want {
			if _, ok := running[p]; !ok && time.Now().After(notBefore[p]) {
				running[p] = c.start(ctx, p, exits)
			}
		}
		c.deps.metrics.owned.Set(float64(len(running)))
		select {
		case <-ctx.Done():
			var errs []error
			for len(running) > 0 {
				e := <-exits
				delete(running, e.p.id)
				c.stopped(e.p)
				if e.err != nil {
					errs = append(errs, e.err)
				}
			}
			return errors.Join(errs...)
		case e := <-exits:
			delete(running, e.p.id)
			c.stopped(e.p)
			if e.err != nil {
				c.logger.Warn("partition stopped; started again if still assigned", slog.Int("partition", e.p.id),
					slog.Duration("after", restartDelay), slog.Any("error", e.err))
				notBefore[e.p.id] = time.Now().Add(restartDelay)
			}
		case <-tick.C:
		}
	}
}

// assigned renews this instance's key and returns its share of the
// partitions. If NATS cannot be asked, it keeps what it runs: the offset's
// compare-and-set, not the membership, keeps two owners from both counting.
func (c *Consumer) assigned(ctx context.Context, m *membership, current []int) []int {
	if err := m.renew(ctx); err != nil {
		c.logger.Warn("membership renewal failed; keeping the current partitions", slog.Any("error", err))
		return current
	}
	members, err := m.members(ctx)
	if err != nil {
		c.logger.Warn("membership list failed; keeping the current partitions", slog.Any("error", err))
		return current
	}
	want := assign(members, m.id, c.cfg.PartitionCount)
	if !slices.Equal(want, current) {
		// A string, not slog.Any of the slice: the redacting log handler
		// compares attribute values, and a slice is not comparable.
		c.logger.Info("assignment changed", slog.Int("instances", len(members)), slog.String("partitions", fmt.Sprint(want)))
	}
	return want
}

// start runs partition id until its context is cancelled or it fails.
func (c *Consumer) start(ctx context.Context, id int, exits chan<- partitionExit) context.CancelFunc {
	pctx, cancel := context.WithCancel(ctx)
	p := newPartition(id, c.cfg, c.deps, c.logger.With(slog.Int("partition", id)))
	p.hooks = c.hooks
	c.mu.Lock()
	c.parts[id] = p
	c.mu.Unlock()
	go func() {
		err := p.run(pctx)
		cancel()
		close(p.stopped)
		exits <- partitionExit{p: p, err: err}
	}()
	return cancel
}

// stopped forgets p once its goroutine ended.
func (c *Consumer) stopped(p *partition) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.parts[p.id] == p {
		delete(c.parts, p.id)
	}
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
	c.mu.RLock()
	p, ok := c.parts[c.PartitionOf(profile)]
	c.mu.RUnlock()
	if !ok {
		return nil, false, nil
	}
	pending, err = p.pending(ctx, profile)
	if errors.Is(err, errPartitionStopped) {
		return nil, false, nil
	}
	return pending, err == nil, err
}

// PartitionOf returns the partition of profile in this consumer's stream.
func (c *Consumer) PartitionOf(profile string) int { return PartitionOf(profile, c.cfg.PartitionCount) }

// partitionLabel is a partition's metric label.
func partitionLabel(p int) string { return strconv.Itoa(p) }
