package scoring

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/telemetry"
)

// ConsumerConfig says which partitions this instance owns.
type ConsumerConfig struct {
	// Partitions owned by this instance; several instances split the stream
	// by owning disjoint sets.
	Partitions []int
	// AckWait is how long the server waits for an ack before redelivering.
	AckWait time.Duration
}

// Consumer applies the events of its partitions to the store. Each
// partition has one goroutine that owns its durable consumer and its offset,
// so nothing on the path is shared between partitions.
//
// This version commits one event per transaction; the batching hot/cold
// shards replace applyOne behind the same Store.Commit.
type Consumer struct {
	js     jetstream.JetStream
	store  *Store
	cfg    ConsumerConfig
	tracer trace.Tracer
	prop   propagation.TextMapPropagator
	logger *slog.Logger
}

// NewConsumer returns a Consumer; Run starts it.
func NewConsumer(js jetstream.JetStream, store *Store, cfg ConsumerConfig, tp trace.TracerProvider, prop propagation.TextMapPropagator, logger *slog.Logger) *Consumer {
	if cfg.AckWait == 0 {
		cfg.AckWait = 30 * time.Second
	}
	return &Consumer{js: js, store: store, cfg: cfg, prop: prop, logger: logger,
		tracer: tp.Tracer("github.com/sagatrace/sagatrace/services/scoring/consumer")}
}

// Run consumes until ctx ends, then returns after every partition stopped.
func (c *Consumer) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	errs := make([]error, len(c.cfg.Partitions))
	for i, p := range c.cfg.Partitions {
		wg.Go(func() { errs[i] = c.runPartition(ctx, p) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (c *Consumer) runPartition(ctx context.Context, partition int) error {
	cons, err := c.js.CreateOrUpdateConsumer(ctx, StreamName, jetstream.ConsumerConfig{
		Durable:       fmt.Sprintf("scoring-p%d", partition),
		FilterSubject: PartitionSubject(partition),
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       c.cfg.AckWait,
		MaxAckPending: 1024,
	})
	if err != nil {
		return fmt.Errorf("partition %d: create consumer: %w", partition, err)
	}
	offset, err := c.store.Offset(ctx, partition)
	if err != nil {
		return fmt.Errorf("partition %d: %w", partition, err)
	}
	msgs, err := cons.Messages(jetstream.PullMaxMessages(256))
	if err != nil {
		return fmt.Errorf("partition %d: subscribe: %w", partition, err)
	}
	defer msgs.Stop()
	log := c.logger.With(slog.Int("partition", partition))
	for {
		msg, err := msgs.Next(jetstream.NextContext(ctx))
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			log.Warn("fetch failed, retrying", slog.Any("error", err))
			continue
		}
		meta, err := msg.Metadata()
		if err != nil {
			log.Error("message without JetStream metadata, terminated", slog.Any("error", err))
			_ = msg.Term()
			continue
		}
		seq := meta.Sequence.Stream
		if seq > offset {
			if err := c.handle(ctx, partition, msg, seq); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return fmt.Errorf("partition %d: %w", partition, err)
			}
			offset = seq
		}
		// Acked only after the commit: a crash in between redelivers the
		// message, and the offset check above skips it.
		if err := msg.Ack(); err != nil {
			log.Warn("ack failed; the message will be redelivered and skipped", slog.Uint64("stream_seq", seq), slog.Any("error", err))
		}
	}
}

// handle applies one message, or sends it to the DLQ.
func (c *Consumer) handle(ctx context.Context, partition int, msg jetstream.Msg, seq uint64) error {
	ctx, span := c.startProcessSpan(ctx, msg)
	defer span.End()
	ev, err := Decode(msg.Data())
	if err != nil {
		return c.retry(ctx, partition, func() error { return c.deadLetter(ctx, partition, msg, seq, err) })
	}
	if ev.DTID == "" {
		ev.DTID = msg.Headers().Get(ids.NATSHeaderDTID)
	}
	deltas := map[string]Delta{ev.ProfileID: {Score: ev.Delta, Events: 1, LastDTID: ev.DTID}}
	return c.retry(ctx, partition, func() error { return c.store.Commit(ctx, partition, deltas, seq) })
}

// retry runs fn until it succeeds or ctx ends, backing off: a message that
// could not be handled must not be skipped, that would lose it.
func (c *Consumer) retry(ctx context.Context, partition int, fn func() error) error {
	for backoff := 100 * time.Millisecond; ; backoff = min(2*backoff, 5*time.Second) {
		err := fn()
		if err == nil {
			return nil
		}
		c.logger.WarnContext(ctx, "handling failed, retrying", slog.Int("partition", partition), slog.Any("error", err))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
	}
}

// startProcessSpan joins the publisher's trace when the message carries a
// sampled one. Untraced bulk events get no span: a `nats pub` storm must not
// flood the tracing backend.
func (c *Consumer) startProcessSpan(ctx context.Context, msg jetstream.Msg) (context.Context, trace.Span) {
	h := msg.Headers()
	if h == nil {
		return ctx, trace.SpanFromContext(ctx)
	}
	pctx := c.prop.Extract(ctx, telemetry.NATSHeaderCarrier(h))
	sc := trace.SpanContextFromContext(pctx)
	if !sc.IsValid() || !sc.IsSampled() {
		return ctx, trace.SpanFromContext(ctx)
	}
	dtid := h.Get(ids.NATSHeaderDTID)
	cid := h.Get(ids.NATSHeaderCorrelationID)
	pctx = ids.WithCorrelationID(ids.WithDTID(pctx, dtid), cid)
	return c.tracer.Start(pctx, "process "+SubjectPrefix+"*", trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(attribute.String("messaging.system", "nats"),
			attribute.String("messaging.destination.name", msg.Subject()),
			attribute.String(ids.AttrDTID, dtid), attribute.String(ids.AttrCorrelationID, cid)))
}

// deadLetter publishes a refused event to scoring.dlq.<reason> with its
// original payload and headers plus the error, and commits the offset so
// the message counts as handled. The DLQ publish is deduplicated by stream
// sequence, so a redelivery cannot dead-letter it twice.
func (c *Consumer) deadLetter(ctx context.Context, partition int, msg jetstream.Msg, seq uint64, cause error) error {
	reason := ReasonNotJSON
	var de *DecodeError
	if errors.As(cause, &de) {
		reason = de.Reason
	}
	dlq := &nats.Msg{Subject: DLQPrefix + reason, Data: msg.Data(), Header: nats.Header{}}
	for k, v := range msg.Headers() {
		dlq.Header[k] = v
	}
	dlq.Header.Set(ids.NATSHeaderError, cause.Error())
	dlq.Header.Set("Sagatrace-Original-Subject", msg.Subject())
	if _, err := c.js.PublishMsg(ctx, dlq, jetstream.WithMsgID("dlq-"+strconv.FormatUint(seq, 10))); err != nil {
		return fmt.Errorf("dead-letter stream seq %d: %w", seq, err)
	}
	c.logger.WarnContext(ctx, "event dead-lettered", slog.String("reason", reason), slog.Uint64("stream_seq", seq), slog.Any("error", cause))
	return c.store.Commit(ctx, partition, nil, seq)
}
