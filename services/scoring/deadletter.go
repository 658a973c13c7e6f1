package scoring

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sagatrace/sagatrace/internal/carddata"
	"github.com/sagatrace/sagatrace/internal/ids"
)

// Headers a dead letter carries besides the original ones.
const (
	HeaderReason           = "Sagatrace-Reason"
	HeaderOriginalSubject  = "Sagatrace-Original-Subject"
	HeaderOriginalSequence = "Sagatrace-Original-Sequence"
	// originalHeaderPrefix renames the original Nats-* headers: on a
	// publish the server acts on them (Nats-Expected-Stream,
	// Nats-Msg-Id, Nats-TTL…), and a copy must not be refused or
	// deduplicated for what its original asked of another stream.
	originalHeaderPrefix = "Sagatrace-Original-"
)

// deadLetterer sends refused events to the DLQ stream.
type deadLetterer struct {
	js    jetstream.JetStream
	count *prometheus.CounterVec // by reason
	fails prometheus.Counter     // dead letters the DLQ refused for good
	log   *slog.Logger
}

// deadLetter is one refused event on its way to the DLQ.
type deadLetter struct {
	msg    jetstream.Msg
	seq    uint64
	reason string
	cause  error
}

// reasonOf returns the DLQ reason of a refusal.
func reasonOf(cause error) string {
	var de *DecodeError
	if errors.As(cause, &de) {
		return de.Reason
	}
	return ReasonNotJSON
}

// holdsCard reports whether a refused message carries a card number
// anywhere: in a header, in its raw bytes, or in a string its JSON decodes
// to (an escape hides the number from a scan of the raw bytes).
func holdsCard(msg jetstream.Msg) bool {
	if _, ok := headerWithCard(msg.Headers()); ok {
		return true
	}
	return carddata.Contains(string(msg.Data())) || containsCardInJSON(msg.Data())
}

// headerWithCard returns the first header whose name or one of whose
// values holds a card number: a publisher chooses both, and both are
// copied to the dead letter.
func headerWithCard(h nats.Header) (string, bool) {
	for k, vs := range h {
		if carddata.Contains(k) {
			return k, true
		}
		for _, v := range vs {
			if carddata.Contains(v) {
				return k, true
			}
		}
	}
	return "", false
}

// send publishes a refused event to scoring.dlq.<reason> with its original
// payload and headers plus the reason and the error, retrying transient
// failures until the server takes it: a refused event is kept, never
// dropped while the DLQ can take it. The publish is deduplicated by stream
// sequence, so reading the event again cannot dead-letter it twice.
//
// A card_data dead letter keeps no payload and redacts every header: the
// DLQ is kept on disk for weeks, and the event is erased from the scoring
// stream once its dead letter is stored.
//
// If the DLQ refuses the letter for good (a JetStream API error, not a
// timeout), a letter without the payload and original headers is tried;
// if that is refused too, the event is counted, logged and passed over:
// a partition never stalls on one event. It returns an error only when ctx
// ends first.
func (d *deadLetterer) send(ctx context.Context, l deadLetter) error {
	card := l.reason == ReasonCardData
	dlq := &nats.Msg{Subject: DLQPrefix + l.reason, Header: nats.Header{}}
	if !card {
		dlq.Data = l.msg.Data()
	}
	for k, vs := range l.msg.Headers() {
		if strings.HasPrefix(k, "Nats-") {
			k = originalHeaderPrefix + k
		}
		for _, v := range vs {
			dlq.Header.Add(carddata.Redact(k), carddata.Redact(v))
		}
	}
	dlq.Header.Set(ids.NATSHeaderError, carddata.Redact(l.cause.Error()))
	dlq.Header.Set(HeaderReason, l.reason)
	dlq.Header.Set(HeaderOriginalSubject, l.msg.Subject())
	dlq.Header.Set(HeaderOriginalSequence, strconv.FormatUint(l.seq, 10))
	err := d.publish(ctx, dlq, l.seq)
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		d.log.Warn("the DLQ refused a dead letter; sending it without payload and original headers",
			slog.Uint64("stream_seq", l.seq), slog.String("reason", l.reason), slog.Any("error", err))
		bare := &nats.Msg{Subject: dlq.Subject, Header: nats.Header{}}
		for _, k := range []string{ids.NATSHeaderError, HeaderReason, HeaderOriginalSubject, HeaderOriginalSequence} {
			bare.Header.Set(k, dlq.Header.Get(k))
		}
		err = d.publish(ctx, bare, l.seq)
	}
	if errors.As(err, &apiErr) {
		d.fails.Inc()
		d.log.Error("the DLQ refused a dead letter; the event is passed over, see the stream for it",
			slog.Uint64("stream_seq", l.seq), slog.String("reason", l.reason), slog.Any("error", err),
			slog.String("command", "nats stream get "+StreamName+" "+strconv.FormatUint(l.seq, 10)))
		return nil
	}
	if err != nil {
		return err // ctx ended
	}
	if card {
		d.eraseFromStream(ctx, l.seq)
	}
	d.count.WithLabelValues(l.reason).Inc()
	d.log.Warn("event dead-lettered", slog.String("reason", l.reason), slog.Uint64("stream_seq", l.seq),
		slog.String(ids.AttrDTID, carddata.Redact(l.msg.Headers().Get(ids.NATSHeaderDTID))),
		slog.String("error", carddata.Redact(l.cause.Error())))
	return nil
}

// publish publishes one dead letter, retrying all but JetStream API errors
// (which the same request would meet again) until ctx ends.
func (d *deadLetterer) publish(ctx context.Context, m *nats.Msg, seq uint64) error {
	for backoff := 50 * time.Millisecond; ; backoff = min(2*backoff, 5*time.Second) {
		pubCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := d.js.PublishMsg(pubCtx, m, jetstream.WithMsgID("dlq-"+strconv.FormatUint(seq, 10)))
		cancel()
		var apiErr *jetstream.APIError
		if err == nil || errors.As(err, &apiErr) {
			return err
		}
		d.log.Warn("dead-letter publish failed, retrying", slog.Uint64("stream_seq", seq), slog.Any("error", err))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
	}
}

// eraseFromStream removes a card-holding event from the scoring stream
// (overwriting it on disk) once its dead letter is in the DLQ, so the
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
