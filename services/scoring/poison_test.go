package scoring

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/sagatrace/sagatrace/internal/database"
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

// A row the database refuses for good (here a score pushed past the 64-bit
// range) goes to scoring_poison with the reason; the rest of its batch and
// the offset commit, and the partition goes on.
func TestDataErrorsGoToThePoisonTableAndThePartitionMovesOn(t *testing.T) {
	eachRig(t, 1, func(t *testing.T, r *rig) {
		db := r.store.db // the rows the test plants and reads around the engine
		if _, err := db.ExecContext(t.Context(), `INSERT INTO scores (profile_id, score, events, last_dtid, updated_at) VALUES ('p-full', $1, 1, '', $2)`, int64(math.MaxInt64-5), time.Now().UTC().Format(time.RFC3339Nano)); err != nil {
			t.Fatal(err)
		}
		r.run(t, 1)
		for _, ev := range []string{`{"profile_id":"p-full","kind":"like","delta":10}`, `{"profile_id":"p-fine","kind":"like","delta":3}`} {
			if _, err := r.js.Publish(t.Context(), Subject("p-x"), []byte(ev)); err != nil {
				t.Fatal(err)
			}
		}
		r.waitForScores(t, map[string]int64{"p-fine": 3, "p-full": math.MaxInt64 - 5})
		var profile, reason, msg string
		var score int64
		waitFor(t, 10*time.Second, "the poison row", func() bool {
			err := db.QueryRowContext(t.Context(), `SELECT profile_id, score, reason, error FROM scoring_poison`).Scan(&profile, &score, &reason, &msg)
			return err == nil
		})
		if profile != "p-full" || score != 10 || reason != ReasonDataError || msg == "" {
			t.Errorf("poison row = %s %d %s %q, want p-full's +10 as %s with the error", profile, score, reason, msg, ReasonDataError)
		}
		if off, _ := r.store.Offset(t.Context(), 0); off != 2 {
			t.Errorf("offset %d, want 2: the refused row must not hold the partition back", off)
		}
	})
}

// A commit whose answer was lost (the database applied it, the connection
// dropped) is retried; the retry finds the offset already moved — by
// itself — and must not call that a conflict. A real conflict still is one.
func TestAnAmbiguousCommitIsNotAConflict(t *testing.T) {
	eachRig(t, 1, func(t *testing.T, r *rig) {
		m, err := newMetrics(prometheus.NewRegistry())
		if err != nil {
			t.Fatal(err)
		}
		f := newFlusher(0, partitionDeps{store: r.store, tracer: noop.NewTracerProvider().Tracer(""), metrics: m, totals: &commitTotals{}},
			flushHooks{}, slog.New(slog.DiscardHandler))
		b := &Batch{After: 0, FirstSeq: 1, LastSeq: 4, Events: 4, Deltas: map[string]Delta{"p": {Score: 4, Events: 4}}}
		if err := r.store.CommitBatch(t.Context(), b); err != nil { // the attempt whose answer was lost
			t.Fatal(err)
		}
		if err := f.flush(t.Context(), b); err != nil {
			t.Fatalf("retry of a commit that had landed = %v, want success", err)
		}
		if sc, _ := r.store.Score(t.Context(), "p"); sc.Score != 4 {
			t.Errorf("score %d, want 4: counted once", sc.Score)
		}
		stale := &Batch{After: 0, FirstSeq: 1, LastSeq: 3, Events: 3, Deltas: map[string]Delta{"p": {Score: 3, Events: 3}}}
		if err := f.flush(t.Context(), stale); !errors.Is(err, ErrOffsetMoved) {
			t.Errorf("batch of a second owner = %v, want ErrOffsetMoved", err)
		}
	})
}

// A transient database error (here SQLite's write lock held by another
// process past the busy timeout) is retried with backoff and counted; the
// batch commits once the database is free.
func TestTransientDatabaseErrorsAreRetriedAndCounted(t *testing.T) {
	path := t.TempDir() + "/scoring.db"
	r := startRig(t, path, 1)
	reg := prometheus.NewRegistry()
	runConsumer(t, r.newConsumer(t, ConsumerConfig{PartitionCount: 1}, consumerDeps{reg: reg}))

	locker, err := database.Open(t.Context(), path+"?_pragma=busy_timeout(100)")
	if err != nil {
		t.Fatal(err)
	}
	defer locker.Close()
	tx, err := locker.BeginTx(t.Context(), nil) // _txlock=immediate: the write lock, now
	if err != nil {
		t.Fatal(err)
	}
	r.publishLike(t, "p-1", 2)
	waitFor(t, 60*time.Second, "a retried flush", func() bool { return counterTotal(t, reg, "scoring_flush_retries_total") > 0 })
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	r.waitForScores(t, map[string]int64{"p-1": 2})
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
