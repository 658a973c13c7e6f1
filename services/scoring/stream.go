package scoring

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Stream layout. Publishers write scoring.events.<profile>; the stream
// rewrites the subject to scoring.p.<partition>, so that the server, not
// every publisher, decides which partition owns a profile. The stored
// subject is deliberately literal, without the profile token: a consumer
// filtered on a wildcard (scoring.p.3.*) makes nats-server match the filter
// against every distinct subject of a message block for each message it
// delivers — measured 4× slower here with 10,000 profiles. The profile is
// in the payload, which is authoritative.
const (
	StreamName    = "SCORING"
	DLQStreamName = "SCORING_DLQ"
	DLQPrefix     = "scoring.dlq."
	// MetadataPartitions is the stream metadata key that records N.
	MetadataPartitions = "sagatrace.partitions"
)

// Defaults of the stream's limits.
const (
	DefaultStreamMaxBytes   = 1 << 30 // 1 GiB
	DefaultStreamMaxAge     = 7 * 24 * time.Hour
	DefaultStreamMaxMsgSize = 4 << 10 // 4 KiB: an event is at most MaxEventBytes, headers included
	DefaultDLQMaxBytes      = 256 << 20
	DefaultDLQMaxAge        = 30 * 24 * time.Hour
)

// StreamConfig sizes the scoring stream. It is applied when the stream is
// created; an existing stream is compared with it, never rewritten unless
// Update is set.
type StreamConfig struct {
	// Partitions is N in partition(N,1). It is recorded in the stream's
	// metadata: changing it on a live stream would move profiles between
	// partitions under their stored offsets, so a mismatch refuses to start.
	Partitions int
	// Replicas is 1 on one machine, 3 on a cluster.
	Replicas int
	// MaxBytes bounds the stream on disk. When it is full, publishes are
	// refused (discard new) rather than old events dropped before they were
	// scored.
	MaxBytes int64
	// MaxAge bounds how long events stay replayable.
	MaxAge time.Duration
	// MaxMsgSize bounds one message, headers included.
	MaxMsgSize int32
	// Update lets EnsureStreams change an existing stream's replicas and
	// limits to these (never its partition count).
	Update bool
}

func (c StreamConfig) withDefaults() (StreamConfig, error) {
	if c.Partitions < 1 || c.Partitions > 1024 {
		return c, fmt.Errorf("scoring stream: partitions must be between 1 and 1024, got %d", c.Partitions)
	}
	c.Replicas = max(c.Replicas, 1)
	c.MaxBytes = orDefault(c.MaxBytes, DefaultStreamMaxBytes)
	c.MaxAge = orDefault(c.MaxAge, DefaultStreamMaxAge)
	c.MaxMsgSize = orDefault(c.MaxMsgSize, DefaultStreamMaxMsgSize)
	return c, nil
}

// PartitionSubject is the stored subject of one partition, its consumer's
// filter.
func PartitionSubject(partition int) string { return fmt.Sprintf("scoring.p.%d", partition) }

// transform partitions scoring.events.<profile> into n partitions.
func transform(n int) *jetstream.SubjectTransformConfig {
	return &jetstream.SubjectTransformConfig{Source: SubjectPrefix + "*", Destination: fmt.Sprintf("scoring.p.{{partition(%d,1)}}", n)}
}

func (c StreamConfig) stream() jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:             StreamName,
		Subjects:         []string{SubjectPrefix + "*"},
		SubjectTransform: transform(c.Partitions),
		Metadata:         map[string]string{MetadataPartitions: strconv.Itoa(c.Partitions)},
		Storage:          jetstream.FileStorage,
		Replicas:         c.Replicas,
		MaxAge:           c.MaxAge,
		MaxBytes:         c.MaxBytes,
		MaxMsgSize:       c.MaxMsgSize,
		Discard:          jetstream.DiscardNew,
		// A retried saga publish carries the same Nats-Msg-Id; within this
		// window the stream stores it once.
		Duplicates: 2 * time.Minute,
	}
}

// dlq is the DLQ's configuration: bounded too, but dropping its oldest
// letters when full, since refusing a dead letter would hold the
// partition's events back no better. Its messages may be twice the
// scoring stream's: a dead letter is the event plus the error headers.
func (c StreamConfig) dlq() jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name: DLQStreamName, Subjects: []string{DLQPrefix + ">"},
		Storage: jetstream.FileStorage, Replicas: c.Replicas,
		MaxAge: DefaultDLQMaxAge, MaxBytes: DefaultDLQMaxBytes, MaxMsgSize: 2 * c.MaxMsgSize,
		Discard: jetstream.DiscardOld, Duplicates: 2 * time.Minute,
	}
}

// ErrPartitionCount means the stream was made with another partition count
// than this instance was given.
var ErrPartitionCount = errors.New("partition count mismatch")

// EnsureStreams creates the scoring stream and its DLQ when they are
// missing. An existing stream is compared with cfg: another partition
// count refuses to start (ErrPartitionCount); other differences are
// logged and left as they are, unless cfg.Update.
func EnsureStreams(ctx context.Context, js jetstream.JetStream, cfg StreamConfig, log *slog.Logger) error {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return err
	}
	if err := ensure(ctx, js, cfg.stream(), cfg.Update, log, checkPartitions(cfg.Partitions)); err != nil {
		return err
	}
	return ensure(ctx, js, cfg.dlq(), cfg.Update, log, nil)
}

func ensure(ctx context.Context, js jetstream.JetStream, want jetstream.StreamConfig, update bool, log *slog.Logger,
	check func(jetstream.StreamConfig) error) error {
	s, err := js.Stream(ctx, want.Name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		if _, err := js.CreateStream(ctx, want); err != nil && !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			return fmt.Errorf("create stream %s: %w", want.Name, err)
		}
		log.Info("stream created", slog.String("stream", want.Name), slog.Int("replicas", want.Replicas),
			slog.Int64("max_bytes", want.MaxBytes), slog.Duration("max_age", want.MaxAge), slog.Int("max_msg_size", int(want.MaxMsgSize)))
		return nil
	}
	if err != nil {
		return fmt.Errorf("stream %s: %w", want.Name, err)
	}
	have := s.CachedInfo().Config
	if check != nil {
		if err := check(have); err != nil {
			return err
		}
	}
	diffs := differences(have, want)
	if len(diffs) == 0 {
		return nil
	}
	if !update {
		log.Warn("the stream differs from this instance's settings; keeping the stream's (start one instance with --stream-update to apply them)",
			slog.String("stream", want.Name), slog.String("differences", strings.Join(diffs, "; ")))
		return nil
	}
	want.Metadata = mergeMetadata(have.Metadata, want.Metadata)
	if _, err := js.UpdateStream(ctx, want); err != nil {
		return fmt.Errorf("update stream %s (%s): %w", want.Name, strings.Join(diffs, "; "), err)
	}
	log.Info("stream updated", slog.String("stream", want.Name), slog.String("changes", strings.Join(diffs, "; ")))
	return nil
}

var transformPartitions = regexp.MustCompile(`\{\{\s*partition\(\s*(\d+)\s*,`)

// partitionsOf returns the N a stream was made with: its metadata, or the
// transform of a stream made before N was recorded.
func partitionsOf(cfg jetstream.StreamConfig) (int, bool) {
	if n, err := strconv.Atoi(cfg.Metadata[MetadataPartitions]); err == nil {
		return n, true
	}
	if cfg.SubjectTransform != nil {
		if m := transformPartitions.FindStringSubmatch(cfg.SubjectTransform.Destination); m != nil {
			n, err := strconv.Atoi(m[1])
			return n, err == nil
		}
	}
	return 0, false
}

func checkPartitions(want int) func(jetstream.StreamConfig) error {
	return func(have jetstream.StreamConfig) error {
		n, ok := partitionsOf(have)
		if !ok {
			return fmt.Errorf("stream %s exists but has no partition transform: it was not made by sagatrace; remove it or point at another NATS", StreamName)
		}
		if n != want {
			return fmt.Errorf("%w: stream %s has %d partitions, this instance was started with --partition-count %d; "+
				"start it with --partition-count %d, or change N by draining and switching (docs/scoring.md, \"Changing the partition count\")",
				ErrPartitionCount, StreamName, n, want, n)
		}
		return nil
	}
}

// differences lists the settings of have that are not those of want.
func differences(have, want jetstream.StreamConfig) []string {
	var d []string
	add := func(name string, h, w any) {
		if h != w {
			d = append(d, fmt.Sprintf("%s is %v, want %v", name, h, w))
		}
	}
	add("replicas", have.Replicas, want.Replicas)
	add("max_bytes", have.MaxBytes, want.MaxBytes)
	add("max_age", have.MaxAge, want.MaxAge)
	add("max_msg_size", have.MaxMsgSize, want.MaxMsgSize)
	add("discard", have.Discard, want.Discard)
	return d
}

func mergeMetadata(have, want map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range have {
		out[k] = v
	}
	for k, v := range want {
		out[k] = v
	}
	return out
}
