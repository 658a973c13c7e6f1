package scoring

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sagatrace/sagatrace/internal/ids"
)

// deadLetter publishes a refused event to scoring.dlq.<reason> with its
// original payload and headers plus the error, retrying until the server
// takes it: a refused event is kept, never dropped. The DLQ publish is
// deduplicated by stream sequence, so a redelivery cannot dead-letter twice.
func (p *partition) deadLetter(ctx context.Context, msg jetstream.Msg, seq uint64, cause error) error {
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
	for backoff := 50 * time.Millisecond; ; backoff = min(2*backoff, 5*time.Second) {
		pubCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := p.c.js.PublishMsg(pubCtx, dlq, jetstream.WithMsgID("dlq-"+strconv.FormatUint(seq, 10)))
		cancel()
		if err == nil {
			break
		}
		p.log.Warn("dead-letter publish failed, retrying", slog.Uint64("stream_seq", seq), slog.Any("error", err))
		select {
		case <-ctx.Done():
			// Not applied, not acked: the event comes back after a restart.
			return ctx.Err()
		case <-time.After(backoff):
		}
	}
	p.c.metrics.dlq.WithLabelValues(reason).Inc()
	p.log.Warn("event dead-lettered", slog.String("reason", reason), slog.Uint64("stream_seq", seq), slog.Any("error", cause))
	return nil
}
