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

	"github.com/sagatrace/sagatrace/internal/carddata"
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
	id int
	// partitionCount is N, to check that an event belongs here.
	partitionCount int
	deps           partitionDeps
	policy         FlushPolicy
	maxLinks       int
	pullBatch      int
	hooks          flushHooks
	shard          *Shard
	flusher        *flusher
	dlq            *deadLetterer
	queries        chan pendingQuery
	// stopped is closed when run returned: nobody answers queries any more.
	stopped chan struct{}
	log     *slog.Logger
	// The partition's own collectors, looked up once, not per message.
	eventsIn, redelivered prometheus.Counter
	lag                   prometheus.Gauge
}

func newPartition(id int, cfg ConsumerConfig, deps partitionDeps, log *slog.Logger) *partition {
	label := partitionLabel(id)
	return &partition{
		id: id, partitionCount: cfg.PartitionCount, deps: deps, policy: cfg.Flush, maxLinks: cfg.MaxLinks,
		pullBatch: cfg.PullBatch,
		dlq:       &deadLetterer{js: deps.js, count: deps.metrics.dlq, fails: deps.metrics.dlqFailed, log: log},
		queries:   make(chan pendingQuery), stopped: make(chan struct{}), log: log,
		eventsIn: deps.metrics.eventsIn.WithLabelValues(label), redelivered: deps.metrics.redelivered.WithLabelValues(label),
		lag: deps.metrics.lag.WithLabelValues(label),
	}
}

// pendingQuery asks the owner for what hot and cold hold for a profile.
type pendingQuery struct {
	profile string
	answer  chan Pending
}

// pending asks the partition's goroutine what hot and cold hold for
// profile; only that goroutine may read them.
func (p *partition) pending(ctx context.Context, profile string) (Pending, error) {
	q := pendingQuery{profile: profile, answer: make(chan Pending, 1)}
	select {
	case p.queries <- q:
	case <-p.stopped:
		return nil, errPartitionStopped
	case <-ctx.Done():
		return nil, fmt.Errorf("ask partition %d: %w", p.id, ctx.Err())
	}
	select {
	case d := <-q.answer:
		return d, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("ask partition %d: %w", p.id, ctx.Err())
	}
}

// errPartitionStopped answers a query to a partition that stopped.
var errPartitionStopped = errors.New("partition stopped")

// drainTimeout bounds the final flush of a graceful stop.
const drainTimeout = 10 * time.Second

func (p *partition) run(ctx context.Context) error {
	watermark, err := p.deps.store.Offset(ctx, p.id)
	if err != nil {
		if ctx.Err() != nil {
			return nil // stopped before it took anything: nothing to flush
		}
		return err
	}
	p.shard = NewShard(p.id, watermark, p.policy, p.maxLinks)
	p.flusher = newFlusher(p.id, p.deps, p.hooks, p.log)
	defer close(p.flusher.in)
	// Flushes outlive ctx: the last one runs during the graceful stop, and
	// is abandoned only after drainTimeout (its events are then read again
	// by the next owner, from the stored offset).
	flushCtx, cancelFlushes := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelFlushes()
	go p.flusher.run(flushCtx)
	p.log.Info("partition resumed", slog.Uint64("committed_seq", watermark))
	p.warnIfExpired(ctx, watermark)

	for {
		err := p.consume(ctx, p.shard.NextSeq())
		if ctx.Err() != nil {
			timer := time.AfterFunc(drainTimeout, cancelFlushes)
			defer timer.Stop()
			return p.drain()
		}
		if !errors.Is(err, jetstream.ErrMsgIteratorClosed) {
			return err
		}
		// The library gave up on this subscription; start another right
		// after what the shard already holds.
		p.log.Warn("subscription closed, subscribing again", slog.Uint64("from_seq", p.shard.NextSeq()), slog.Any("error", err))
	}
}

// warnIfExpired says so when the stream no longer holds what follows the
// stored offset: events older than the stream's max age (or pushed out by
// an operator's purge) were never scored. Reading resumes at the stream's
// first sequence; this cannot be undone, only noticed.
func (p *partition) warnIfExpired(ctx context.Context, watermark uint64) {
	s, err := p.deps.js.Stream(ctx, StreamName)
	if err != nil {
		return
	}
	if first := s.CachedInfo().State.FirstSeq; watermark > 0 && watermark+1 < first {
		p.log.Error("the stream no longer holds events after this partition's offset: they expired before they were scored; raise --stream-max-age or add instances",
			slog.Uint64("committed_seq", watermark), slog.Uint64("stream_first_seq", first))
	}
}

// delivery is one message, or the error that ended a subscription.
type delivery struct {
	msg jetstream.Msg
	err error
}

// consume reads the partition from stream sequence from on until ctx ends
// or the subscription ends. A reader goroutine blocks in Next, so that the
// client's heartbeat check (which runs only inside Next) sees a consumer
// lost with its server; this goroutine waits on the reader, the flusher,
// queries and the flush policy's clock at once.
func (p *partition) consume(ctx context.Context, from uint64) error {
	msgs, err := p.subscribe(ctx, from)
	if err != nil {
		return err
	}
	in := make(chan delivery, 256)
	go read(msgs, in)
	defer func() {
		msgs.Stop()
		for range in { // let the reader end; what it still holds is read again later
		}
	}()
	quiet := time.NewTicker(p.policy.Idle)
	defer quiet.Stop()
	nextSwap := time.Now().Add(p.policy.Interval)
	handled := 0 // since the last tick
	for {
		select {
		case d := <-in:
			if d.err != nil {
				return fmt.Errorf("partition %d: %w", p.id, d.err)
			}
			if err := p.handle(ctx, d.msg); err != nil {
				return err
			}
			handled++
			// The clock is read every 64 messages, not on each one.
			if p.shard.Full() || handled%64 == 0 && time.Now().After(nextSwap) {
				if err := p.swap(); err != nil {
					return err
				}
				nextSwap = time.Now().Add(p.policy.Interval)
			}
		case err := <-p.flusher.done:
			if err := p.finished(err); err != nil {
				return err
			}
		case q := <-p.queries:
			q.answer <- p.shard.Pending(q.profile)
		case <-quiet.C:
			// A quiet partition writes what it holds now rather than at the
			// end of the interval: batching only pays while events flow.
			if handled == 0 || time.Now().After(nextSwap) {
				if err := p.swap(); err != nil {
					return err
				}
				nextSwap = time.Now().Add(p.policy.Interval)
			}
			handled = 0
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// read hands msgs' messages to in until the subscription ends, and the
// error that ended it last.
func read(msgs jetstream.MessagesContext, in chan<- delivery) {
	defer close(in)
	for {
		msg, err := msgs.Next()
		if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
			in <- delivery{err: err}
			return
		}
		if err != nil {
			// The ordered consumer recovers from the others itself; the pause
			// keeps an error that repeats from spinning.
			time.Sleep(10 * time.Millisecond)
			continue
		}
		in <- delivery{msg: msg}
	}
}

// swap hands hot to the flusher. When hot is full and cold still being
// written, it first waits for the flush: backpressure, the reader stops
// and the client stops pulling until the store catches up.
func (p *partition) swap() error {
	if p.shard.Flushing() && p.shard.Full() {
		if err := p.serve(true); err != nil {
			return err
		}
	}
	if b := p.shard.Swap(); b != nil {
		p.flusher.in <- b
	}
	return nil
}

// subscribe reads the partition from stream sequence from on with an
// ordered consumer: an ephemeral consumer without acks whose client checks
// that the consumer sequence advances by exactly one, and on a gap, a
// missed heartbeat or a reconnect recreates the consumer right after the
// last message it handed over. So a message lost in flight is read again,
// never skipped; and since the database holds the offset, nothing needs
// acknowledging: no ack can cover a message the shard never received.
func (p *partition) subscribe(ctx context.Context, from uint64) (jetstream.MessagesContext, error) {
	cons, err := p.deps.js.OrderedConsumer(ctx, StreamName, jetstream.OrderedConsumerConfig{
		FilterSubjects:    []string{PartitionSubject(p.id)},
		DeliverPolicy:     jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:       from,
		InactiveThreshold: time.Minute,
	})
	if err != nil {
		return nil, fmt.Errorf("partition %d: ordered consumer from %d: %w", p.id, from, err)
	}
	// A 1 s heartbeat in 5 s pull requests: a consumer lost with its server
	// (a cluster node dies) is noticed after two missed heartbeats and
	// recreated elsewhere, instead of after the client's default 10 s.
	msgs, err := cons.Messages(jetstream.PullMaxMessages(p.pullBatch), jetstream.PullExpiry(5*time.Second), jetstream.PullHeartbeat(time.Second))
	if err != nil {
		return nil, fmt.Errorf("partition %d: subscribe: %w", p.id, err)
	}
	return msgs, nil
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
// when it was abandoned at shutdown or the offset moved under it; its
// events are then not in the store, and the next owner reads them again.
func (p *partition) finished(err error) error {
	if err != nil {
		return fmt.Errorf("partition %d: flush failed, its events will be read again from the stored offset: %w", p.id, err)
	}
	p.shard.MarkCommitted()
	return nil
}

// handle applies one message, or dead-letters it.
func (p *partition) handle(ctx context.Context, msg jetstream.Msg) error {
	meta, err := msg.Metadata()
	if err != nil {
		// Only JetStream messages reach an ordered consumer's iterator.
		return fmt.Errorf("partition %d: message without JetStream metadata: %w", p.id, err)
	}
	seq := meta.Sequence.Stream
	p.lag.Set(float64(meta.NumPending))
	if p.shard.Seen(seq) {
		// A recreated consumer may hand over again what hot already holds.
		p.redelivered.Inc()
		return nil
	}
	p.eventsIn.Inc()
	ev, err := p.accept(msg)
	if err != nil {
		reason := reasonOf(err)
		if holdsCard(msg) {
			reason = ReasonCardData
		}
		if err := p.dlq.send(ctx, deadLetter{msg: msg, seq: seq, reason: reason, cause: err}); err != nil {
			// Stopping: the event is not applied, so the offset stays below
			// it and the next owner reads it again.
			return err
		}
		p.shard.Advance(seq)
		return nil
	}
	p.shard.Apply(ev, seq, p.consumeSpan(msg, ev))
	return nil
}

// accept decodes and checks one message: its payload, every header, and
// that its profile belongs to this partition.
func (p *partition) accept(msg jetstream.Msg) (Event, error) {
	ev, err := Decode(msg.Data())
	if err != nil {
		return Event{}, err
	}
	if k, ok := headerWithCard(msg.Headers()); ok {
		return Event{}, refuse(ReasonCardData, "header %s holds a card number; scoring events never carry one", carddata.Redact(k))
	}
	if ev.DTID == "" {
		if dtid := msg.Headers().Get(ids.NATSHeaderDTID); dtid != "" {
			if err := CheckDTIDHeader(dtid); err != nil {
				return Event{}, fmt.Errorf("header %s: %w", ids.NATSHeaderDTID, err)
			}
			ev.DTID = dtid
		}
	}
	if want := PartitionOf(ev.ProfileID, p.partitionCount); want != p.id {
		return Event{}, refuse(ReasonWrongPartition, "profile %q belongs to partition %d, but the subject put it in %d: the subject's token and profile_id disagree", ev.ProfileID, want, p.id)
	}
	return ev, nil
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
// leaves nothing for the next owner to read again.
func (p *partition) drain() error {
	if err := p.serve(true); err != nil {
		return err
	}
	if b := p.shard.Swap(); b != nil {
		p.flusher.in <- b
		return p.serve(true)
	}
	return nil
}
