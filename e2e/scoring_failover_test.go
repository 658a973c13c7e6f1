package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/sagatrace/sagatrace/internal/database"
	"github.com/sagatrace/sagatrace/internal/devstack/devstacktest"
	"github.com/sagatrace/sagatrace/services/scoring"
)

// Three `sagatrace serve scoring` processes, started as an operator would
// (no --partitions), share the partitions through the membership bucket;
// the last one started is SIGKILLed under load; the two others take its
// partitions over within the member TTL plus a few seconds, and the stored
// scores are the exact sums. A NATS server of its own: the shared stack's
// scoring instance would otherwise join and commit to another database.
func TestScoringInstancesTakeOverADeadOnesPartitions(t *testing.T) {
	const partitions, events, profiles = 8, 20_000, 53
	const ttl = 3 * time.Second
	bin := buildSagatrace(t)
	srv, _, js := devstacktest.JetStream(t)
	dbPath := filepath.Join(t.TempDir(), "scoring.db")

	var addrs []string
	start := func(i int) *exec.Cmd {
		addr := freeAddr(t)
		addrs = append(addrs, addr)
		cmd := exec.Command(bin, "serve", "scoring", "--nats-url", srv.ClientURL(), "--database-url", dbPath,
			"--listen", addr, "--auth-disabled", "--partition-count", strconv.Itoa(partitions),
			"--member-ttl", ttl.String(), "--log-level", "info")
		cmd.Env = os.Environ()
		log, err := os.Create(filepath.Join(t.TempDir(), fmt.Sprintf("scoring-%d.log", i)))
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait(); log.Close() })
		return cmd
	}
	var procs []*exec.Cmd
	for i := range 3 {
		procs = append(procs, start(i))
	}
	members := func() []string {
		kv, err := js.KeyValue(t.Context(), scoring.MembersBucket)
		if err != nil {
			return nil
		}
		keys, _ := kv.Keys(t.Context())
		slices.Sort(keys)
		return keys
	}
	// Settled: every instance runs 2 or 3 partitions, 8 in all (each
	// instance's scoring_partitions_running on its /metrics).
	eventually(t, 60*time.Second, func() (bool, string) {
		var running []int
		total := 0
		for _, a := range addrs {
			n := partitionsRunning(t, a)
			running = append(running, n)
			total += n
		}
		return total == partitions && slices.Min(running) >= 2 && slices.Max(running) <= 3,
			fmt.Sprintf("partitions running per instance %v, want 3/3/2", running)
	})

	db, err := database.Open(t.Context(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	store, err := scoring.NewStore(t.Context(), db, noop.NewTracerProvider())
	if err != nil {
		t.Fatal(err)
	}

	want := map[string]int64{}
	published := make(chan error, 1)
	third := make(chan struct{})
	go func() {
		for i := range events {
			profile := fmt.Sprintf("p-%d", i%profiles)
			delta := int64(i%7 - 3)
			want[profile] += delta
			msg := &nats.Msg{Subject: scoring.Subject(profile), Data: fmt.Appendf(nil, `{"profile_id":%q,"kind":"k","delta":%d}`, profile, delta)}
			if _, err := js.PublishMsgAsync(msg, jetstream.WithMsgID("e-"+strconv.Itoa(i))); err != nil {
				published <- err
				return
			}
			if i%1_000 == 999 {
				<-js.PublishAsyncComplete()
				time.Sleep(100 * time.Millisecond)
			}
			if i == events/3 {
				close(third)
			}
		}
		<-js.PublishAsyncComplete()
		published <- nil
	}()
	<-third

	// The victim's partitions, from its key (host-pid-suffix) and the
	// assignment rule every instance applies.
	victim := procs[2]
	all := members()
	var victimID string
	for _, id := range all {
		if strings.Contains(id, "-"+strconv.Itoa(victim.Process.Pid)+"-") {
			victimID = id
		}
	}
	if victimID == "" {
		t.Fatalf("no member key for pid %d in %v", victim.Process.Pid, all)
	}
	var orphans []int
	for p := range partitions {
		if slices.Index(all, victimID) == p%len(all) {
			orphans = append(orphans, p)
		}
	}
	killed := time.Now()
	if err := victim.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = victim.Wait()
	// Read after the process is gone: a commit it had in flight at the
	// kill is then in, or never will be.
	before := map[int]uint64{}
	for _, p := range orphans {
		before[p], _ = store.Offset(t.Context(), p)
	}
	takeover := map[int]time.Duration{}
	eventually(t, 60*time.Second, func() (bool, string) {
		for _, p := range orphans {
			if _, ok := takeover[p]; !ok {
				if off, _ := store.Offset(t.Context(), p); off > before[p] {
					takeover[p] = time.Since(killed)
				}
			}
		}
		return len(takeover) == len(orphans), fmt.Sprintf("orphaned partitions %v committed after the kill: %v", orphans, takeover)
	})
	var worst time.Duration
	for _, d := range takeover {
		worst = max(worst, d)
	}
	t.Logf("SIGKILL of `serve scoring` running partitions %v: first commit by a survivor after %s at worst (member TTL %s)", orphans, worst.Round(time.Millisecond), ttl)
	if err := <-published; err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	eventually(t, 60*time.Second, func() (bool, string) {
		for p, w := range want {
			sc, err := store.Score(ctx, p)
			if err != nil || sc.Score != w {
				return false, fmt.Sprintf("profile %s: score %d (%v), want %d", p, sc.Score, err, w)
			}
		}
		return true, ""
	})
	if m := members(); len(m) != 2 {
		t.Errorf("members after the kill: %v, want the 2 survivors", m)
	}
	if a, b := partitionsRunning(t, addrs[0]), partitionsRunning(t, addrs[1]); a != 4 || b != 4 {
		t.Errorf("survivors run %d and %d partitions, want 4 and 4", a, b)
	}
	if worst > 4*ttl {
		t.Errorf("takeover took %s, more than 4× the member TTL", worst)
	}
}

// freeAddr returns 127.0.0.1:<a port nothing listens on now>.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// partitionsRunning reads scoring_partitions_running from an instance's
// /metrics; -1 while it does not answer.
func partitionsRunning(t *testing.T, addr string) int {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, "scoring_partitions_running "); ok {
			n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err == nil {
				return int(n)
			}
		}
	}
	return -1
}
