package scoring

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// MembersBucket is the KV bucket where running scoring instances announce
// themselves.
const MembersBucket = "scoring_members"

// membership is this instance's place among the running scoring instances:
// each one puts its key in a KV bucket whose entries expire after a TTL,
// and renews it more often than that; the live instances are the keys the
// bucket holds. Every instance computes the same assignment from the same
// sorted list of keys, so no leader is needed. Views may disagree for a
// moment while an instance joins or dies; two instances then both run a
// partition, and the compare-and-set on the partition's stored offset lets
// only one of them commit (the other's partition stops and is started
// again only if it is still assigned to it).
type membership struct {
	kv jetstream.KeyValue
	id string
}

// join creates the bucket if needed and announces id in it.
func join(ctx context.Context, js jetstream.JetStream, id string, ttl time.Duration, replicas int) (*membership, error) {
	kv, err := js.KeyValue(ctx, MembersBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		kv, err = js.CreateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket: MembersBucket, TTL: ttl, History: 1, Replicas: max(replicas, 1), Storage: jetstream.MemoryStorage,
			Description: "live sagatrace scoring instances; an entry expires unless its instance renews it",
		})
		if errors.Is(err, jetstream.ErrBucketExists) {
			kv, err = js.KeyValue(ctx, MembersBucket)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("membership bucket %s: %w", MembersBucket, err)
	}
	m := &membership{kv: kv, id: id}
	return m, m.renew(ctx)
}

// renew puts this instance's key again, restarting its TTL.
func (m *membership) renew(ctx context.Context) error {
	if _, err := m.kv.PutString(ctx, m.id, time.Now().UTC().Format(time.RFC3339Nano)); err != nil {
		return fmt.Errorf("announce %s in %s: %w", m.id, MembersBucket, err)
	}
	return nil
}

// members returns the live instances, sorted.
func (m *membership) members(ctx context.Context) ([]string, error) {
	keys, err := m.kv.Keys(ctx)
	if errors.Is(err, jetstream.ErrNoKeysFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", MembersBucket, err)
	}
	slices.Sort(keys)
	return keys, nil
}

// leave removes this instance's key, so that the others take its
// partitions over at once rather than after the TTL.
func (m *membership) leave(ctx context.Context) error {
	if err := m.kv.Delete(ctx, m.id); err != nil {
		return fmt.Errorf("leave %s: %w", MembersBucket, err)
	}
	return nil
}

// assign returns the partitions of n that member id runs: partition p goes
// to the (p mod k)-th of the k sorted members, so every instance gets n/k
// partitions, ±1. If id is not among members (its key expired while it
// was cut off), it runs none.
func assign(members []string, id string, n int) []int {
	i := slices.Index(members, id)
	if i < 0 {
		return nil
	}
	var out []int
	for p := i; p < n; p += len(members) {
		out = append(out, p)
	}
	return out
}
