package scoring

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/telemetry"
	"github.com/sagatrace/sagatrace/services/scoring/scoringapi"
)

// Publisher publishes scoring events to JetStream with their identities in
// the message headers, the way a hop's HTTP request carries them.
type Publisher struct {
	js     jetstream.JetStream
	tracer trace.Tracer
	prop   propagation.TextMapPropagator
}

// NewPublisher returns a Publisher whose publish spans come from tp.
func NewPublisher(js jetstream.JetStream, tp trace.TracerProvider, prop propagation.TextMapPropagator) *Publisher {
	return &Publisher{js: js, tracer: tp.Tracer("github.com/sagatrace/sagatrace/services/scoring"), prop: prop}
}

// Publish stores ev in the stream and returns the server's
// acknowledgement. ev.EventID doubles as the JetStream message ID, so the
// Ack says whether the stream already held it.
func (p *Publisher) Publish(ctx context.Context, ev Event) (scoringapi.Ack, error) {
	if err := check(ev); err != nil {
		return scoringapi.Ack{}, fmt.Errorf("publish scoring event: %w", err)
	}
	data, err := json.Marshal(ev)
	if err != nil {
		return scoringapi.Ack{}, fmt.Errorf("encode scoring event: %w", err)
	}
	subject := Subject(ev.ProfileID)
	ctx, span := p.tracer.Start(ctx, "publish "+SubjectPrefix+"*", trace.WithSpanKind(trace.SpanKindProducer),
		trace.WithAttributes(
			attribute.String("messaging.system", "nats"),
			attribute.String("messaging.destination.name", subject),
			attribute.String("messaging.message.id", ev.EventID),
			attribute.String(ids.AttrDTID, ev.DTID),
		))
	defer span.End()

	msg := &nats.Msg{Subject: subject, Data: data, Header: nats.Header{}}
	p.prop.Inject(ctx, telemetry.NATSHeaderCarrier(msg.Header))
	if ev.DTID != "" {
		msg.Header.Set(ids.NATSHeaderDTID, ev.DTID)
	}
	if cid := ids.CorrelationIDFrom(ctx); cid != "" {
		msg.Header.Set(ids.NATSHeaderCorrelationID, cid)
	}
	var opts []jetstream.PublishOpt
	if ev.EventID != "" {
		opts = append(opts, jetstream.WithMsgID(ev.EventID))
	}
	ack, err := p.js.PublishMsg(ctx, msg, opts...)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
		return scoringapi.Ack{}, fmt.Errorf("publish %s: %w", subject, err)
	}
	span.SetAttributes(attribute.Int64("messaging.nats.stream_sequence", int64(ack.Sequence)),
		attribute.Bool("messaging.nats.duplicate", ack.Duplicate))
	return scoringapi.Ack{Sequence: ack.Sequence, Duplicate: ack.Duplicate}, nil
}
