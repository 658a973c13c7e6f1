package scoring

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The member helper is this test binary run again as one scoring instance
// that joins the others (no pinned partitions) and prints the partitions it
// runs each time they change: "RUNNING 0,3,6".
const (
	envMember     = "SCORING_MEMBER_HELPER"
	memberParts   = 8
	memberTTL     = 3 * time.Second
	runningPrefix = "RUNNING"
)

func runMemberHelper() error {
	ctx := context.Background()
	c, err := helperConsumer(ctx, ConsumerConfig{
		PartitionCount: memberParts, MemberTTL: memberTTL, Replicas: 1,
		Flush: FlushPolicy{Interval: 100 * time.Millisecond},
	}, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	if err != nil {
		return err
	}
	go func() {
		var last []int
		for {
			if now := c.Running(); !slices.Equal(now, last) || last == nil {
				fmt.Println(runningPrefix, joinInts(now))
				last = append([]int{}, now...)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	return c.Run(ctx)
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ",")
}

// member is one helper process and what it last said it runs.
type member struct {
	cmd     *exec.Cmd
	mu      sync.Mutex
	running []int
	changed time.Time
}

func (m *member) state() ([]int, time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.running, m.changed
}

func startMember(t *testing.T, natsURL, dbURL string) *member {
	t.Helper()
	cmd, lines := spawnHelper(t, natsURL, dbURL, envMember+"=1")
	m := &member{cmd: cmd}
	go func() {
		for line := range lines {
			rest, ok := strings.CutPrefix(line, runningPrefix)
			if !ok {
				continue
			}
			var parts []int
			for _, f := range strings.Split(strings.TrimSpace(rest), ",") {
				if n, err := strconv.Atoi(f); err == nil {
					parts = append(parts, n)
				}
			}
			m.mu.Lock()
			m.running, m.changed = parts, time.Now()
			m.mu.Unlock()
		}
	}()
	return m
}

// balanced reports whether members run every partition exactly once, each
// member n/k ±1 of them.
func balanced(members []*member) bool {
	seen := map[int]int{}
	lo, hi := memberParts, 0
	for _, m := range members {
		r, _ := m.state()
		lo, hi = min(lo, len(r)), max(hi, len(r))
		for _, p := range r {
			seen[p]++
		}
	}
	if len(seen) != memberParts || hi-lo > 1 {
		return false
	}
	for _, n := range seen {
		if n != 1 {
			return false
		}
	}
	return true
}

// Three instances with no pinned partitions share them evenly; one is
// SIGKILLed under load; the two survivors take its partitions over within
// the member TTL plus a renewal and a restart, and the scores are the exact
// sums. Takeover is measured from the kill to the first commit of each of
// the dead instance's partitions by a survivor.
func TestThreeInstancesShareThePartitionsAndSurviveASIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs and kills three scoring processes")
	}
	eachRig(t, memberParts, func(t *testing.T, r *rig) {
		members := []*member{}
		for range 3 {
			members = append(members, startMember(t, r.nc.ConnectedUrl(), r.url))
		}
		waitFor(t, 60*time.Second, "three instances sharing 8 partitions 3/3/2", func() bool { return balanced(members) })

		// The load: 30,000 events with deltas -5..5 to 97 profiles, spread
		// over a few seconds, each with a message ID so that a retried
		// publish is stored once.
		const events = 30_000
		want := map[string]int64{}
		published := make(chan error, 1)
		killNow := make(chan struct{})
		go func() {
			for i := range events {
				profile := fmt.Sprintf("p-%d", i%97)
				delta := int64(i%11 - 5)
				want[profile] += delta
				msg := &nats.Msg{Subject: Subject(profile), Data: fmt.Appendf(nil, `{"profile_id":%q,"kind":"k","delta":%d}`, profile, delta)}
				if _, err := r.js.PublishMsgAsync(msg, jetstream.WithMsgID("e-"+strconv.Itoa(i))); err != nil {
					published <- err
					return
				}
				if i%1_000 == 999 {
					<-r.js.PublishAsyncComplete()
					time.Sleep(150 * time.Millisecond)
				}
				if i == events/3 {
					close(killNow)
				}
			}
			<-r.js.PublishAsyncComplete()
			published <- nil
		}()
		<-killNow
		// The last one started: on the engine of 2cc461c it had deleted and
		// recreated the others' consumers, which stopped them.
		victim, survivors := members[2], members[:2]
		orphans, _ := victim.state()
		killed := time.Now()
		sigkill(t, victim.cmd)
		// Read after the process is gone: a commit it had in flight at the
		// kill is then in, or never will be.
		before := map[int]uint64{}
		for _, p := range orphans {
			before[p], _ = r.store.Offset(t.Context(), p)
		}

		// Taken over: each orphan is committed past where the victim left it.
		takeover := map[int]time.Duration{}
		waitFor(t, 30*time.Second, "the survivors to commit the dead instance's partitions", func() bool {
			for _, p := range orphans {
				if _, ok := takeover[p]; ok {
					continue
				}
				if off, _ := r.store.Offset(t.Context(), p); off > before[p] {
					takeover[p] = time.Since(killed)
				}
			}
			return len(takeover) == len(orphans)
		})
		var worst time.Duration
		for _, d := range takeover {
			worst = max(worst, d)
		}
		t.Logf("SIGKILL of an instance running partitions %v: taken over (first commit by a survivor) after %v, worst %s (member TTL %s)",
			orphans, takeover, worst.Round(time.Millisecond), memberTTL)
		if err := <-published; err != nil {
			t.Fatal(err)
		}
		waitFor(t, 30*time.Second, "two survivors sharing 8 partitions 4/4", func() bool { return balanced(survivors) })
		r.waitForExactSums(t, want, events)
		if worst > 4*memberTTL {
			t.Errorf("takeover took %s, more than the stated bound of 4× the member TTL (%s)", worst, 4*memberTTL)
		}
	})
}

func TestAssignmentIsEvenAndDisjoint(t *testing.T) {
	tests := []struct {
		name    string
		members int
		n       int
	}{
		{"one_instance_runs_all", 1, 16},
		{"three_over_eight", 3, 8},
		{"more_instances_than_partitions", 5, 3},
		{"sixteen_over_sixty_four", 16, 64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ids []string
			for i := range tt.members {
				ids = append(ids, fmt.Sprintf("i-%02d", i))
			}
			seen := map[int]bool{}
			lo, hi := tt.n, 0
			for _, id := range ids {
				got := assign(ids, id, tt.n)
				lo, hi = min(lo, len(got)), max(hi, len(got))
				for _, p := range got {
					if seen[p] {
						t.Fatalf("partition %d assigned twice", p)
					}
					seen[p] = true
				}
			}
			if len(seen) != tt.n || hi-lo > 1 {
				t.Errorf("%d of %d partitions assigned, %d to %d per instance; want all, ±1", len(seen), tt.n, lo, hi)
			}
			if got := assign(ids, "not-a-member", tt.n); got != nil {
				t.Errorf("an instance missing from the list runs %v, want none", got)
			}
		})
	}
}
