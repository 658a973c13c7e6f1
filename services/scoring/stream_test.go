package scoring

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sagatrace/sagatrace/internal/servicetest"
)

func TestStreamIsConfiguredDeliberately(t *testing.T) {
	_, js := startJetStream(t, 4) // created with the defaults
	ctx := t.Context()
	info := func(name string) jetstream.StreamConfig {
		t.Helper()
		s, err := js.Stream(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		return s.CachedInfo().Config
	}

	t.Run("created_bounded", func(t *testing.T) {
		c := info(StreamName)
		if c.MaxBytes != DefaultStreamMaxBytes || c.MaxMsgSize != DefaultStreamMaxMsgSize || c.Discard != jetstream.DiscardNew ||
			c.MaxAge != DefaultStreamMaxAge || c.Metadata[MetadataPartitions] != "4" {
			t.Errorf("stream = %+v, want the default bounds, discard new and 4 partitions in its metadata", c)
		}
		d := info(DLQStreamName)
		if d.MaxBytes != DefaultDLQMaxBytes || d.MaxAge != DefaultDLQMaxAge || d.MaxMsgSize <= 0 {
			t.Errorf("DLQ = %+v, want it bounded", d)
		}
	})
	t.Run("oversized_event_refused_at_publish", func(t *testing.T) {
		_, err := js.Publish(ctx, Subject("p-1"), bytes.Repeat([]byte("x"), DefaultStreamMaxMsgSize+1))
		if err == nil {
			t.Error("a message above the stream's max message size was stored")
		}
	})
	t.Run("another_partition_count_refuses_to_start", func(t *testing.T) {
		err := EnsureStreams(ctx, js, StreamConfig{Partitions: 2}, slog.New(slog.DiscardHandler))
		if !errors.Is(err, ErrPartitionCount) || !strings.Contains(err.Error(), "has 4 partitions") {
			t.Fatalf("EnsureStreams with 2 partitions on a 4-partition stream = %v, want ErrPartitionCount naming both", err)
		}
		if got := info(StreamName).SubjectTransform.Destination; !strings.Contains(got, "partition(4,1)") {
			t.Errorf("transform rewritten to %s", got)
		}
	})
	t.Run("operator_settings_kept_unless_update", func(t *testing.T) {
		c := info(StreamName)
		c.MaxBytes = 64 << 20 // an operator's choice
		if _, err := js.UpdateStream(ctx, c); err != nil {
			t.Fatal(err)
		}
		var logs bytes.Buffer
		if err := EnsureStreams(ctx, js, StreamConfig{Partitions: 4}, slog.New(slog.NewTextHandler(&logs, nil))); err != nil {
			t.Fatal(err)
		}
		if got := info(StreamName).MaxBytes; got != 64<<20 {
			t.Errorf("max_bytes %d after a start, want the operator's %d kept", got, 64<<20)
		}
		if !strings.Contains(logs.String(), "max_bytes is 67108864, want 1073741824") {
			t.Errorf("no warning naming the difference; logs: %s", logs.String())
		}
		if err := EnsureStreams(ctx, js, StreamConfig{Partitions: 4, MaxBytes: 128 << 20, Update: true}, slog.New(slog.DiscardHandler)); err != nil {
			t.Fatal(err)
		}
		if got := info(StreamName); got.MaxBytes != 128<<20 || got.Metadata[MetadataPartitions] != "4" {
			t.Errorf("after an explicit update: max_bytes %d, metadata %v", got.MaxBytes, got.Metadata)
		}
	})
}

// A partition whose stored offset is older than the stream's first message
// says that events expired unscored.
func TestAPartitionSaysWhenEventsExpiredBeforeTheyWereScored(t *testing.T) {
	r := newRig(t, 1)
	if err := r.store.CommitBatch(t.Context(), &Batch{LastSeq: 2, Deltas: map[string]Delta{"p-1": {Score: 2, Events: 2}}}); err != nil {
		t.Fatal(err)
	}
	for range 6 {
		r.publishLike(t, "p-1", 1)
	}
	s, err := r.js.Stream(t.Context(), StreamName)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Purge(t.Context(), jetstream.WithPurgeSequence(5)); err != nil { // as if 3 and 4 had expired
		t.Fatal(err)
	}
	var logs servicetest.LockedBuffer
	runConsumer(t, r.newConsumer(t, ConsumerConfig{PartitionCount: 1}, consumerDeps{logger: slog.New(slog.NewTextHandler(&logs, nil))}))
	r.waitForScores(t, map[string]int64{"p-1": 4}) // 2 stored + 5 and 6
	if !strings.Contains(logs.String(), "expired before they were scored") {
		t.Errorf("no error about expired events; logs:\n%s", logs.String())
	}
}
