package scoring

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Repartitioned says what Repartition did.
type Repartitioned struct {
	From, To int
	// LastSequence is the stream's last message when it switched: every
	// event at or below it was stored, and scored, under From partitions.
	LastSequence uint64
}

// Repartition changes the scoring stream's partition count to to: the
// drain and switch of docs/scoring.md, with its preconditions checked
// rather than trusted. It refuses while a scoring instance is live (one in
// the membership bucket; stop pinned ones too), while events are still
// being published (the stream's last sequence moves within quiet), and
// while a partition holds events not committed yet (the stored offset is
// below the partition's last message).
//
// No offset has to move: after the switch, partition q reads the subject
// scoring.p.<q> from its stored offset + 1; every message stored under the
// old count has a sequence at or below its old partition's offset (that is
// what drained means), so only messages stored under the new count are
// read, and a partition new to the stream starts at its first. Should
// events arrive during the switch nevertheless, it switches back and says
// so; an event stored under the new count in that moment is then dead
// lettered as wrong_partition, never counted twice.
func Repartition(ctx context.Context, js jetstream.JetStream, store *Store, to int, quiet time.Duration) (Repartitioned, error) {
	if to < 1 || to > 1024 {
		return Repartitioned{}, fmt.Errorf("repartition: the partition count must be between 1 and 1024, got %d", to)
	}
	s, err := js.Stream(ctx, StreamName)
	if err != nil {
		return Repartitioned{}, fmt.Errorf("repartition: stream %s: %w (start scoring once to create it)", StreamName, err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		return Repartitioned{}, fmt.Errorf("repartition: stream %s: %w", StreamName, err)
	}
	from, ok := partitionsOf(info.Config)
	if !ok {
		return Repartitioned{}, fmt.Errorf("repartition: stream %s has no partition transform: it was not made by sagatrace", StreamName)
	}
	done := Repartitioned{From: from, To: to, LastSequence: info.State.LastSeq}
	if from == to {
		return done, nil
	}
	if err := noLiveInstances(ctx, js); err != nil {
		return done, err
	}
	last, err := quietStream(ctx, s, quiet)
	if err != nil {
		return done, err
	}
	if err := drained(ctx, s, store, from); err != nil {
		return done, err
	}
	if err := setPartitions(ctx, js, info.Config, to); err != nil {
		return done, err
	}
	after, err := s.Info(ctx)
	if err != nil || after.State.LastSeq != last {
		// Something was published while the transform changed: go back to
		// where every stored event has an owner that will read it.
		if rerr := setPartitions(ctx, js, info.Config, from); rerr != nil {
			return done, errors.Join(fmt.Errorf("repartition: events arrived while switching, and switching back to %d failed: "+
				"set the stream's transform to partition(%d,1) and its metadata %s=%d by hand", from, from, MetadataPartitions, from), rerr)
		}
		return done, fmt.Errorf("repartition: events arrived while switching (last sequence %d, then %v): the stream is back at %d partitions; "+
			"stop every publisher and run again (check scoring.dlq.%s for events stored in that moment)", last, seqOf(after, err), from, ReasonWrongPartition)
	}
	done.LastSequence = last
	return done, nil
}

// noLiveInstances refuses while any scoring instance announces itself.
func noLiveInstances(ctx context.Context, js jetstream.JetStream) error {
	kv, err := js.KeyValue(ctx, MembersBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("repartition: membership bucket %s: %w", MembersBucket, err)
	}
	keys, err := kv.Keys(ctx)
	if errors.Is(err, jetstream.ErrNoKeysFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("repartition: list %s: %w", MembersBucket, err)
	}
	return fmt.Errorf("repartition: %d scoring instance(s) still running (%s): stop every one (SIGTERM), then run again",
		len(keys), strings.Join(keys, ", "))
}

// quietStream returns the stream's last sequence once it stayed the same
// for quiet: the publishers are stopped.
func quietStream(ctx context.Context, s jetstream.Stream, quiet time.Duration) (uint64, error) {
	before, err := s.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("repartition: stream %s: %w", StreamName, err)
	}
	t := time.NewTimer(quiet)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-t.C:
	}
	after, err := s.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("repartition: stream %s: %w", StreamName, err)
	}
	if after.State.LastSeq != before.State.LastSeq {
		return 0, fmt.Errorf("repartition: events are still being published (last sequence %d, %d events later after %s): stop every publisher first",
			before.State.LastSeq, after.State.LastSeq-before.State.LastSeq, quiet)
	}
	return after.State.LastSeq, nil
}

// drained refuses while any of the n partitions holds a message above its
// stored offset.
func drained(ctx context.Context, s jetstream.Stream, store *Store, n int) error {
	var behind []string
	for p := range n {
		msg, err := s.GetLastMsgForSubject(ctx, PartitionSubject(p))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("repartition: last message of partition %d: %w", p, err)
		}
		offset, err := store.Offset(ctx, p)
		if err != nil {
			return fmt.Errorf("repartition: %w", err)
		}
		if offset < msg.Sequence {
			behind = append(behind, fmt.Sprintf("%d (offset %d, last event %d)", p, offset, msg.Sequence))
		}
	}
	if len(behind) > 0 {
		return fmt.Errorf("repartition: partitions %s hold events not scored yet: start scoring with --partition-count %d until "+
			"scoring_partition_lag is 0, stop it, then run again", strings.Join(behind, ", "), n)
	}
	return nil
}

// setPartitions points the stream's transform and its recorded count at n.
func setPartitions(ctx context.Context, js jetstream.JetStream, cfg jetstream.StreamConfig, n int) error {
	cfg.SubjectTransform = transform(n)
	cfg.Metadata = mergeMetadata(cfg.Metadata, map[string]string{MetadataPartitions: strconv.Itoa(n)})
	if _, err := js.UpdateStream(ctx, cfg); err != nil {
		return fmt.Errorf("repartition: set stream %s to %d partitions: %w", StreamName, n, err)
	}
	return nil
}

func seqOf(info *jetstream.StreamInfo, err error) any {
	if err != nil {
		return err
	}
	return info.State.LastSeq
}
