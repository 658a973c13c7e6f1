package scoring

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// An event holding a card number is dead-lettered without its payload and
// with its headers redacted, and erased from the scoring stream, so no copy
// of the number stays on disk; the shard goes on.
func TestConsumerRedactsAndErasesCardNumbers(t *testing.T) {
	const pan = "4111111111111111"
	r := newRig(t, 1)
	r.run(t, 1)
	dlq, err := r.js.CreateOrUpdateConsumer(t.Context(), DLQStreamName, jetstream.ConsumerConfig{AckPolicy: jetstream.AckNonePolicy})
	if err != nil {
		t.Fatal(err)
	}
	ack, err := r.js.PublishMsg(t.Context(), &nats.Msg{
		Subject: Subject("p-1"), Data: []byte(`{"profile_id":"` + pan + `","kind":"like","delta":1}`),
		Header: nats.Header{"X-Card": {pan}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.js.Publish(t.Context(), Subject("p-1"), []byte(`{"profile_id":"p-1","kind":"like","delta":2}`)); err != nil {
		t.Fatal(err)
	}
	r.waitForScores(t, map[string]int64{"p-1": 2})

	m, err := dlq.Next(jetstream.FetchMaxWait(10 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject() != DLQPrefix+ReasonCardData {
		t.Errorf("dead-lettered to %s, want %s", m.Subject(), DLQPrefix+ReasonCardData)
	}
	dump := string(m.Data()) + " " + strings.Join(m.Headers().Values("X-Card"), " ") + " " + m.Headers().Get("Sagatrace-Error")
	if strings.Contains(dump, pan) || len(m.Data()) != 0 || !strings.Contains(dump, "************1111") {
		t.Errorf("DLQ message = %q, want no payload and the header's card number redacted to its last four", dump)
	}

	stream, err := r.js.Stream(t.Context(), StreamName)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.GetMsg(t.Context(), ack.Sequence); !errors.Is(err, jetstream.ErrMsgNotFound) {
		t.Errorf("stream message %d still readable (err %v), want it erased", ack.Sequence, err)
	}
}
