package scoring

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sagatrace/sagatrace/internal/carddata"
	"github.com/sagatrace/sagatrace/internal/carddata/cardtest"
	"github.com/sagatrace/sagatrace/internal/ids"
)

// An event holding a card number is dead-lettered without its payload and
// with its headers redacted, and erased from the scoring stream, so no copy
// of the number stays on disk; the shard goes on.
func TestConsumerRedactsAndErasesCardNumbers(t *testing.T) {
	const pan = "4111111111111111"
	r := newRig(t, 1)
	r.run(t, 1)
	dlq := r.deadLetters(t)
	ack, err := r.js.PublishMsg(t.Context(), &nats.Msg{
		Subject: Subject("p-1"), Data: []byte(`{"profile_id":"` + pan + `","kind":"like","delta":1}`),
		Header: nats.Header{"X-Card": {pan}},
	})
	if err != nil {
		t.Fatal(err)
	}
	r.publishLike(t, "p-1", 2)
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

	r.checkErased(t, "the event with a card number", ack.Sequence)
}

// A card number in any spelling the detector knows, in any door of a
// scoring event — the Dtid header, another header's value or name, the
// payload's dtid or profile — sends the event to scoring.dlq.card_data
// with no payload and every header redacted, erases it from the stream,
// and never reaches the store; the events after it are scored.
func TestEveryCardSpellingInEveryDoorIsDeadLettered(t *testing.T) {
	type door struct {
		name string
		msg  func(card string) *nats.Msg
	}
	event := func(fields string) []byte {
		return []byte(`{"profile_id":"p-1","kind":"like","delta":1` + fields + `}`)
	}
	quote := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	doors := []door{
		{"dtid_header", func(card string) *nats.Msg {
			return &nats.Msg{Subject: Subject("p-1"), Data: event(""), Header: nats.Header{ids.NATSHeaderDTID: {card}}}
		}},
		{"other_header", func(card string) *nats.Msg {
			return &nats.Msg{Subject: Subject("p-1"), Data: event(""), Header: nats.Header{"X-Note": {"card " + card}}}
		}},
		{"payload_dtid", func(card string) *nats.Msg {
			return &nats.Msg{Subject: Subject("p-1"), Data: event(`,"dtid":` + quote(card))}
		}},
		{"payload_kind", func(card string) *nats.Msg {
			return &nats.Msg{Subject: Subject("p-1"), Data: []byte(`{"profile_id":"p-1","kind":` + quote(card) + `,"delta":1}`)}
		}},
	}
	var msgs []*nats.Msg
	var sent []string
	for _, sp := range cardtest.Spellings() {
		for _, d := range doors {
			msgs = append(msgs, d.msg(sp.Value))
			sent = append(sent, d.name+"/"+sp.Name)
		}
		// A header's name is an HTTP token: the spellings that are one.
		if strings.Trim(sp.Value, "0123456789abcdefghijklmnopqrstuvwxyz-._") == "" {
			msgs = append(msgs, &nats.Msg{Subject: Subject("p-1"), Data: event(""), Header: nats.Header{"X-" + sp.Value: {"x"}}})
			sent = append(sent, "header_name/"+sp.Name)
		}
	}

	r := newRig(t, 1)
	r.run(t, 1)
	dlq := r.deadLetters(t)
	var seqs []uint64
	for i, m := range msgs {
		ack, err := r.js.PublishMsg(t.Context(), m)
		if err != nil {
			t.Fatalf("publish %s: %v", sent[i], err)
		}
		seqs = append(seqs, ack.Sequence)
	}
	r.publishLike(t, "p-1", 2)
	r.waitForScores(t, map[string]int64{"p-1": 2})

	bySeq := map[string]string{}
	for range msgs {
		m, err := dlq.Next(jetstream.FetchMaxWait(10 * time.Second))
		if err != nil {
			t.Fatalf("%d dead letters, want %d: %v", len(bySeq), len(msgs), err)
		}
		seq := m.Headers().Get(HeaderOriginalSequence)
		var dump strings.Builder
		dump.Write(m.Data())
		for k, vs := range m.Headers() {
			dump.WriteString("\n" + k + ": " + strings.Join(vs, ", "))
		}
		bySeq[seq] = dump.String()
		if m.Subject() != DLQPrefix+ReasonCardData || len(m.Data()) != 0 {
			t.Errorf("dead letter of seq %s: %s with %d payload bytes, want %s and none", seq, m.Subject(), len(m.Data()), DLQPrefix+ReasonCardData)
		}
	}
	for i, seq := range seqs {
		dump, ok := bySeq[strconv.FormatUint(seq, 10)]
		switch {
		case !ok:
			t.Errorf("%s (seq %d) was not dead-lettered", sent[i], seq)
		case carddata.Contains(dump) || strings.Contains(dump, string(msgs[i].Data)) && len(msgs[i].Data) > 0:
			t.Errorf("%s: the dead letter holds the card number or the payload:\n%s", sent[i], dump)
		}
		r.checkErased(t, sent[i], seq)
	}
}
