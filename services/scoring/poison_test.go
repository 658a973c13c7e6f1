package scoring

import (
	"errors"
	"log/slog"
	"math"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/sagatrace/sagatrace/internal/database"
)

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
