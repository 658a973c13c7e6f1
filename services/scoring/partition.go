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
	"go.opentelemetry.io/otel/trace"

	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/telemetry"
)

// partition is the goroutine that owns one shard: it pulls the partition's
// messages, applies them to hot, swaps hot and cold when it is time, and
// hands cold to its flusher. Only this goroutine touches the shard.
type partition struct {
	c       *Consumer
	id      int
	shard   *Shard
	flusher *flusher
	queries chan pendingQuery
	log     *slog.Logger
	// last is the newest message applied to hot; acking it after its batch
	// commits acks every earlier one (AckAll).
	last jetstream.Msg
	// The partition's own collectors, looked up once, not per message.
	eventsIn, redelivered prometheus.Counter
	lag                   prometheus.Gauge
}

// pendingQuery asks the owner for what hot and cold hold for a profile.
type pendingQuery struct {
	profile string
	answer  chan Delta
}

// tick bounds how long the owner waits for a message before it looks at
// its clock, its flusher and its queries again.
const tick = 50 * time.Millisecond

// drainTimeout bounds the final flush of a graceful stop.
const drainTimeout = 10 * time.Second

func (p *partition) run(ctx context.Context) error {
	watermark, err := p.c.store.Offset(ctx, p.id)
	if err != nil {
		return err
	}
	cons, err := p.c.resetConsumer(ctx, p.id, watermark)
	if err != nil {
		return err
	}
	msgs, err := cons.Messages(jetstream.PullMaxMessages(p.c.cfg.PullBatch))
	if err != nil {
		return fmt.Errorf("partition %d: subscribe: %w", p.id, err)
	}
	defer msgs.Stop()
	p.shard = NewShard(p.id, watermark, p.c.cfg.Shard)
	p.flusher = newFlusher(p.c, p.id, p.log)
	// Flushes outlive ctx: the last one runs during the graceful stop, and
	// is abandoned only after drainTimeout (its events are then redelivered).
	flushCtx, cancelFlushes := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelFlushes()
	go p.flusher.run(flushCtx)
	p.log.Info("partition resumed", slog.Uint64("committed_seq", watermark))

	nextSwap := time.Now().Add(p.c.cfg.FlushInterval)
	for {
		waitCtx, cancel := context.WithTimeout(ctx, tick)
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
			*nextSwap = time.Now().Add(p.c.cfg.FlushInterval)
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
	p.shard.Committed()
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
		if err := p.deadLetter(ctx, msg, seq, err); err != nil {
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
	ctx := p.c.prop.Extract(context.Background(), telemetry.NATSHeaderCarrier(h))
	if sc := trace.SpanContextFromContext(ctx); !sc.IsValid() || !sc.IsSampled() {
		return trace.SpanContext{}
	}
	_, span := p.c.tracer.Start(ctx, "process "+SubjectPrefix+"*", trace.WithSpanKind(trace.SpanKindConsumer),
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
