package scoring

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sagatrace/sagatrace/internal/carddata"
	"github.com/sagatrace/sagatrace/internal/ids"
)

// deadLetterer sends refused events to the DLQ stream.
type deadLetterer struct {
	js    jetstream.JetStream
	count *prometheus.CounterVec // by reason
	log   *slog.Logger
}

// send publishes a refused event to scoring.dlq.<reason> with its
// original payload and headers plus the error, retrying until the server
// takes it: a refused event is kept, never dropped. The DLQ publish is
// deduplicated by stream sequence, so a redelivery cannot dead-letter twice.
// Card numbers are redacted from the payload and headers (the DLQ is kept
// on disk; the scoring stream itself keeps the original only until it is
// acked, as a work queue would — see the README).
func (d *deadLetterer) send(ctx context.Context, msg jetstream.Msg, seq uint64, cause error) error {
	reason := ReasonNotJSON
	var de *DecodeError
	if errors.As(cause, &de) {
		reason = de.Reason
	}
	holdsCard := carddata.Contains(string(msg.Data()))
	data := msg.Data()
	if holdsCard {
		data = []byte(carddata.Redact(string(data)))
	}
	dlq := &nats.Msg{Subject: DLQPrefix + reason, Data: data, Header: nats.Header{}}
	for k, vs := range msg.Headers() {
		for _, v := range vs {
			dlq.Header.Add(k, carddata.Redact(v))
		}
	}
	dlq.Header.Set(ids.NATSHeaderError, carddata.Redact(cause.Error()))
	dlq.Header.Set("Sagatrace-Original-Subject", msg.Subject())
	for backoff := 50 * time.Millisecond; ; backoff = min(2*backoff, 5*time.Second) {
		pubCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := d.js.PublishMsg(pubCtx, dlq, jetstream.WithMsgID("dlq-"+strconv.FormatUint(seq, 10)))
		cancel()
		if err == nil {
			break
		}
		d.log.Warn("dead-letter publish failed, retrying", slog.Uint64("stream_seq", seq), slog.Any("error", err))
		select {
		case <-ctx.Done():
			// Not applied, not acked: the event comes back after a restart.
			return ctx.Err()
		case <-time.After(backoff):
		}
	}
	if reason == ReasonCardData || holdsCard {
		d.eraseFromStream(ctx, seq)
	}
	d.count.WithLabelValues(reason).Inc()
	d.log.Warn("event dead-lettered", slog.String("reason", reason), slog.Uint64("stream_seq", seq), slog.Any("error", cause))
	return nil
}

// eraseFromStream removes a card-holding event from the scoring stream
// (overwriting it on disk) once its redacted copy is in the DLQ, so the
// number is not kept for the stream's MaxAge. Failing that is logged, not
// fatal: the event is dead-lettered either way.
func (d *deadLetterer) eraseFromStream(ctx context.Context, seq uint64) {
	s, err := d.js.Stream(ctx, StreamName)
	if err == nil {
		err = s.SecureDeleteMsg(ctx, seq)
	}
	if err != nil {
		d.log.Error("could not erase an event holding a card number from the stream; erase it by hand",
			slog.Uint64("stream_seq", seq), slog.String("command", "nats stream rmm "+StreamName+" "+strconv.FormatUint(seq, 10)),
			slog.Any("error", err))
	}
}
