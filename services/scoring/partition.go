package scoring

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/telemetry"
)

// partitionDeps is what every partition of a Consumer shares: the
// connection, the store and the instruments. Each partition gets a copy.
type partitionDeps struct {
	js      jetstream.JetStream
	store   *Store
	tracer  trace.Tracer
	prop    propagation.TextMapPropagator
	metrics *metrics
	totals  *commitTotals
}

// partition is the goroutine that owns one shard: it pulls the partition's
// messages, applies them to hot, swaps hot and cold when its flush policy
// says so, and hands cold to its flusher. Only this goroutine touches the
// shard.
type partition struct {
	id            int
	deps          partitionDeps
	policy        FlushPolicy
	maxLinks      int
	ackWait       time.Duration
	maxAckPending int
	pullBatch     int
	hooks         flushHooks
	shard         *Shard
	flusher       *flusher
	dlq           *deadLetterer
	queries       chan pendingQuery
	log           *slog.Logger
	// last is the newest message applied to hot; acking it after its batch
	// commits acks every earlier one (AckAll).
	last jetstream.Msg
	// The partition's own collectors, looked up once, not per message.
	eventsIn, redelivered prometheus.Counter
	lag                   prometheus.Gauge
}

func newPartition(id int, cfg ConsumerConfig, deps partitionDeps, log *slog.Logger) *partition {
	label := partitionLabel(id)
	return &partition{
		id: id, deps: deps, policy: cfg.Flush, maxLinks: cfg.MaxLinks,
		ackWait: cfg.AckWait, maxAckPending: cfg.MaxAckPending, pullBatch: cfg.PullBatch,
		dlq:     &deadLetterer{js: deps.js, count: deps.metrics.dlq, log: log},
		queries: make(chan pendingQuery), log: log,
		eventsIn: deps.metrics.eventsIn.WithLabelValues(label), redelivered: deps.metrics.redelivered.WithLabelValues(label),
		lag: deps.metrics.lag.WithLabelValues(label),
	}
}

// pendingQuery asks the owner for what hot and cold hold for a profile.
type pendingQuery struct {
	profile string
	answer  chan Delta
}

// pending asks the partition's goroutine what hot and cold hold for
// profile; only that goroutine may read them.
func (p *partition) pending(ctx context.Context, profile string) (Delta, error) {
	q := pendingQuery{profile: profile, answer: make(chan Delta, 1)}
	select {
	case p.queries <- q:
	case <-ctx.Done():
		return Delta{}, fmt.Errorf("ask partition %d: %w", p.id, ctx.Err())
	}
	select {
	case d := <-q.answer:
		return d, nil
	case <-ctx.Done():
		return Delta{}, fmt.Errorf("ask partition %d: %w", p.id, ctx.Err())
	}
}

// drainTimeout bounds the final flush of a graceful stop.
const drainTimeout = 10 * time.Second

func (p *partition) run(ctx context.Context) error {
	watermark, err := p.deps.store.Offset(ctx, p.id)
	if err != nil {
		return err
	}
	cons, err := p.resetConsumer(ctx, watermark)
	if err != nil {
		return err
	}
	msgs, err := cons.Messages(jetstream.PullMaxMessages(p.pullBatch))
	if err != nil {
		return fmt.Errorf("partition %d: subscribe: %w", p.id, err)
	}
	defer msgs.Stop()
	p.shard = NewShard(p.id, watermark, p.policy, p.maxLinks)
	p.flusher = newFlusher(p.id, p.deps, p.hooks, p.log)
	// Flushes outlive ctx: the last one runs during the graceful stop, and
	// is abandoned only after drainTimeout (its events are then redelivered).
	flushCtx, cancelFlushes := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelFlushes()
	go p.flusher.run(flushCtx)
	p.log.Info("partition resumed", slog.Uint64("committed_seq", watermark))

	nextSwap := time.Now().Add(p.policy.Interval)
	for {
		waitCtx, cancel := context.WithTimeout(ctx, p.policy.Idle)
		handled, err := p.pull(ctx, waitCtx, msgs, &nextSwap)
		cancel()
		if handled == 0 {
			// A quiet partition writes what it holds now rather than at the
			// end of the interval: batching only pays while events flow.
			nextSwap = time.Now()
		}
		if ctx.Err() != nil {
			timer := time.AfterFunc(drainTimeout, cancelFlushes)
			defer timer.Stop()
			return p.drain()
		}
		if err != nil {
			return err
		}
	}
}

// resetConsumer recreates the partition's durable consumer to start right
// after watermark: the store, not the server's ack floor, is the truth
// about what was applied, and a restart resumes at once instead of waiting
// AckWait for redeliveries.
func (p *partition) resetConsumer(ctx context.Context, watermark uint64) (jetstream.Consumer, error) {
	name := fmt.Sprintf("scoring-p%d", p.id)
	if err := p.deps.js.DeleteConsumer(ctx, StreamName, name); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return nil, fmt.Errorf("partition %d: delete consumer %s: %w", p.id, name, err)
	}
	cons, err := p.deps.js.CreateConsumer(ctx, StreamName, jetstream.ConsumerConfig{
		Durable:       name,
		FilterSubject: PartitionSubject(p.id),
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:   watermark + 1,
		AckPolicy:     jetstream.AckAllPolicy,
		AckWait:       p.ackWait,
		MaxAckPending: p.maxAckPending,
	})
	if err != nil {
		return nil, fmt.Errorf("partition %d: create consumer %s: %w", p.id, name, err)
	}
	return cons, nil
}

// pull handles messages until waitCtx expires, swapping hot out whenever
// the flush interval passed or hot is full. It returns how many messages it
// handled.
func (p *partition) pull(ctx, waitCtx context.Context, msgs jetstream.MessagesContext, nextSwap *time.Time) (handled int, err error) {
	for {
		if err := p.serve(false); err != nil {
			return handled, err
		}
		// The clock is read every 64 messages, not on each one.
		if p.shard.Full() || handled%64 == 0 && time.Now().After(*nextSwap) {
			if p.shard.Flushing() && p.shard.Full() {
				// Backpressure: hot is at its bound and cold is still being
				// written. Stop pulling until the store catches up.
				if err := p.serve(true); err != nil {
					return handled, err
				}
			}
			if b := p.shard.Swap(); b != nil {
				p.flusher.in <- flushJob{batch: b, ack: p.last}
			}
			*nextSwap = time.Now().Add(p.policy.Interval)
		}
		msg, err := msgs.Next(jetstream.NextContext(waitCtx))
		if err != nil {
			if waitCtx.Err() != nil {
				return handled, nil
			}
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				return handled, fmt.Errorf("partition %d: subscription closed: %w", p.id, err)
			}
			p.log.Warn("fetch failed, retrying", slog.Any("error", err))
			continue
		}
		if err := p.handle(ctx, msg); err != nil {
			return handled, err
		}
		handled++
	}
}

// serve takes a finished flush and answers queries; with wait it blocks
// until no flush is in flight any more.
func (p *partition) serve(wait bool) error {
	for {
		if !wait || !p.shard.Flushing() {
			select {
			case err := <-p.flusher.done:
				return p.finished(err)
			case q := <-p.queries:
				q.answer <- p.shard.Pending(q.profile)
				continue
			default:
				return nil
			}
		}
		select {
		case err := <-p.flusher.done:
			return p.finished(err)
		case q := <-p.queries:
			q.answer <- p.shard.Pending(q.profile)
		}
	}
}

// finished records the outcome of the in-flight flush. A flush fails only
// when it was abandoned at shutdown; its events stay unacked and come back.
func (p *partition) finished(err error) error {
	if err != nil {
		return fmt.Errorf("partition %d: flush abandoned, its events will be redelivered: %w", p.id, err)
	}
	p.shard.MarkCommitted()
	return nil
}

// handle applies one message, or dead-letters it.
func (p *partition) handle(ctx context.Context, msg jetstream.Msg) error {
	meta, err := msg.Metadata()
	if err != nil {
		p.log.Error("message without JetStream metadata, terminated", slog.Any("error", err))
		_ = msg.Term()
		return nil
	}
	seq := meta.Sequence.Stream
	p.lag.Set(float64(meta.NumPending))
	if p.shard.Seen(seq) {
		p.redelivered.Inc()
		if seq <= p.shard.Watermark() {
			_ = msg.Ack() // committed before a crash; acking it acks nothing newer
		}
		return nil
	}
	p.eventsIn.Inc()
	ev, err := Decode(msg.Data())
	if err != nil {
		if err := p.dlq.send(ctx, msg, seq, err); err != nil {
			return nil // stopping: the event stays unacked and comes back
		}
		p.shard.Advance(seq)
		p.last = msg
		return nil
	}
	if ev.DTID == "" {
		ev.DTID = msg.Headers().Get(ids.NATSHeaderDTID)
	}
	p.shard.Apply(ev, seq, p.consumeSpan(msg, ev))
	p.last = msg
	return nil
}

// consumeSpan records, for an event that carries a sampled trace (a saga's
// hop), a span in that trace; bulk events without one cost nothing here.
func (p *partition) consumeSpan(msg jetstream.Msg, ev Event) trace.SpanContext {
	h := msg.Headers()
	if len(h) == 0 || len(h["traceparent"]) == 0 && len(h["uber-trace-id"]) == 0 {
		return trace.SpanContext{}
	}
	ctx := p.deps.prop.Extract(context.Background(), telemetry.NATSHeaderCarrier(h))
	if sc := trace.SpanContextFromContext(ctx); !sc.IsValid() || !sc.IsSampled() {
		return trace.SpanContext{}
	}
	_, span := p.deps.tracer.Start(ctx, "process "+SubjectPrefix+"*", trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(
			attribute.String("messaging.system", "nats"),
			attribute.String("messaging.destination.name", msg.Subject()),
			attribute.Int("scoring.partition", p.id),
			attribute.String(ids.AttrDTID, ev.DTID),
			attribute.String(ids.AttrCorrelationID, h.Get(ids.NATSHeaderCorrelationID)),
		))
	span.End()
	return span.SpanContext()
}

// drain flushes what hot holds when the consumer stops, so a graceful stop
// leaves nothing to redeliver.
func (p *partition) drain() error {
	defer close(p.flusher.in)
	if err := p.serve(true); err != nil {
		return err
	}
	if b := p.shard.Swap(); b != nil {
		p.flusher.in <- flushJob{batch: b, ack: p.last}
		return p.serve(true)
	}
	return nil
}
