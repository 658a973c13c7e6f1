package scoring

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sagatrace/sagatrace/internal/carddata"
	"github.com/sagatrace/sagatrace/internal/carddata/cardtest"
	"github.com/sagatrace/sagatrace/internal/ids"
)

// profileIn returns a profile ID that the stream puts in partition p of n.
func profileIn(p, n int, prefix string) string {
	for i := 0; ; i++ {
		id := prefix + strconv.Itoa(i)
		if PartitionOf(id, n) == p {
			return id
		}
	}
}

// Every kind of bad input is dead-lettered with its reason, and the
// partition goes on: a good event published after all of them is counted.
func TestPoisonNeverStallsAPartition(t *testing.T) {
	const partitions = 4
	const pan = "4111111111111111"
	good := profileIn(0, partitions, "good-")
	other := profileIn(1, partitions, "other-")
	event := func(profile string) string {
		return `{"profile_id":"` + profile + `","kind":"like","delta":1}`
	}
	tests := []struct {
		name       string
		subject    string
		data       string
		header     nats.Header
		opts       []jetstream.PublishOpt
		wantReason string
		// wantNoPayload: the dead letter must not keep the event's bytes.
		wantNoPayload bool
	}{
		{name: "published_with_expected_stream", subject: Subject(good), data: `like`,
			opts: []jetstream.PublishOpt{jetstream.WithExpectStream(StreamName)}, wantReason: ReasonNotJSON},
		{name: "nul_in_profile", subject: Subject(good), data: `{"profile_id":"p\u0000x","kind":"like","delta":1}`, wantReason: ReasonControlChar},
		{name: "nul_in_dtid", subject: Subject(good), data: `{"dtid":"d\u0000","profile_id":"` + good + `","kind":"like","delta":1}`, wantReason: ReasonControlChar},
		{name: "control_char_in_dtid_header", subject: Subject(good), data: event(good), header: nats.Header{"Dtid": {"d\x01x"}}, wantReason: ReasonControlChar},
		{name: "card_in_dtid_header", subject: Subject(good), data: event(good), header: nats.Header{"Dtid": {pan}}, wantReason: ReasonCardData, wantNoPayload: true},
		{name: "card_in_any_header", subject: Subject(good), data: event(good), header: nats.Header{"X-Note": {"card " + pan}}, wantReason: ReasonCardData, wantNoPayload: true},
		{name: "json_escaped_card_in_dtid", subject: Subject(good), data: `{"dtid":"\u0034111111111111111","profile_id":"` + good + `","kind":"like","delta":1}`, wantReason: ReasonCardData, wantNoPayload: true},
		{name: "json_escaped_card_in_unknown_field", subject: Subject(good), data: `{"note":"\u0034111111111111111","profile_id":"` + good + `","kind":"like","delta":1}`, wantReason: ReasonCardData, wantNoPayload: true},
		{name: "subject_and_profile_disagree", subject: Subject(good), data: event(other), wantReason: ReasonWrongPartition},
	}
	r := newRig(t, partitions)
	r.run(t, partitions)
	dlq := r.deadLetters(t)
	seqs := map[uint64]int{} // stream sequence → test case
	for i, tt := range tests {
		msg := &nats.Msg{Subject: tt.subject, Data: []byte(tt.data), Header: tt.header}
		ack, err := r.js.PublishMsg(t.Context(), msg, tt.opts...)
		if err != nil {
			t.Fatalf("%s: publish: %v", tt.name, err)
		}
		seqs[ack.Sequence] = i
	}
	r.publishLike(t, good, 7)
	r.waitForScores(t, map[string]int64{good: 7})

	batch, err := dlq.Fetch(len(tests), jetstream.FetchMaxWait(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for m := range batch.Messages() {
		seq, _ := strconv.ParseUint(m.Headers().Get(HeaderOriginalSequence), 10, 64)
		i, ok := seqs[seq]
		if !ok {
			t.Errorf("dead letter for unknown sequence %d: %v", seq, m.Headers())
			continue
		}
		tt := tests[i]
		seen[i] = true
		t.Run(tt.name, func(t *testing.T) {
			if got := m.Subject(); got != DLQPrefix+tt.wantReason {
				t.Errorf("dead-lettered to %s (%s), want %s", got, m.Headers().Get("Sagatrace-Error"), DLQPrefix+tt.wantReason)
			}
			for k := range m.Headers() {
				if strings.HasPrefix(k, "Nats-") && k != "Nats-Msg-Id" {
					t.Errorf("dead letter kept the header %s; the server acts on Nats-* headers", k)
				}
			}
			if tt.opts != nil && m.Headers().Get("Sagatrace-Original-Nats-Expected-Stream") != StreamName {
				t.Errorf("headers %v: want the original Nats-Expected-Stream kept as Sagatrace-Original-Nats-Expected-Stream", m.Headers())
			}
			if tt.wantNoPayload && len(m.Data()) != 0 {
				t.Errorf("card_data dead letter kept a payload: %q", m.Data())
			}
			if !tt.wantNoPayload && string(m.Data()) != tt.data {
				t.Errorf("payload %q, want the original %q", m.Data(), tt.data)
			}
			if dump := fmt.Sprint(m.Headers()); strings.Contains(dump, pan) {
				t.Errorf("dead letter headers hold the card number: %s", dump)
			}
		})
	}
	for i, tt := range tests {
		if !seen[i] {
			t.Errorf("%s: no dead letter", tt.name)
		}
	}
}

// A DLQ that refuses a dead letter for good (here its max message size is
// below any letter) does not stall the partition either: the event is
// counted as refused and passed over.
func TestADLQThatRefusesLettersDoesNotStallThePartition(t *testing.T) {
	r := newRig(t, 1)
	s, err := r.js.Stream(t.Context(), DLQStreamName)
	if err != nil {
		t.Fatal(err)
	}
	cfg := s.CachedInfo().Config
	cfg.MaxMsgSize = 8
	if _, err := r.js.UpdateStream(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	runConsumer(t, r.newConsumer(t, ConsumerConfig{PartitionCount: 1}, consumerDeps{reg: reg}))
	for _, data := range []string{`not json at all`, `{"profile_id":"p-1","kind":"like","delta":3}`} {
		if _, err := r.js.Publish(t.Context(), Subject("p-1"), []byte(data)); err != nil {
			t.Fatal(err)
		}
	}
	r.waitForScores(t, map[string]int64{"p-1": 3})
	if got := counterTotal(t, reg, "scoring_dlq_refused_total"); got != 1 {
		t.Errorf("scoring_dlq_refused_total = %v, want 1", got)
	}
}

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
