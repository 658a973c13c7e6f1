package scoring

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// The crash helper (see helper_test.go) consumes, and at the chosen point
// of its n-th flush prints a marker and waits to be SIGKILLed.
const (
	envHelper     = "SCORING_CRASH_HELPER"
	envCrashPoint = "SCORING_CRASH_POINT" // after-swap, after-commit or none
	envCrashAfter = "SCORING_CRASH_AFTER" // flushes before the crash point fires
	crashMarker   = "CRASHPOINT"
	crashParts    = 4
)

func runCrashHelper() error {
	ctx := context.Background()
	after, _ := strconv.Atoi(os.Getenv(envCrashAfter))
	var flushes atomic.Int64
	stop := func(point string) func(int) {
		return func(int) {
			if os.Getenv(envCrashPoint) == point && flushes.Add(1) > int64(after) {
				fmt.Println(crashMarker, point)
				select {} // hold the batch where it is until the SIGKILL
			}
		}
	}
	c, err := helperConsumer(ctx, ConsumerConfig{
		PartitionCount: crashParts, MaxLinks: 1,
		Flush: FlushPolicy{Interval: 100 * time.Millisecond, MaxEvents: 500},
	}, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	c.hooks = flushHooks{afterSwap: stop("after-swap"), afterCommit: stop("after-commit")}
	fmt.Println("READY")
	return c.Run(ctx)
}

// startHelper runs one crash helper.
func startHelper(t *testing.T, natsURL, dbURL, point string) (*exec.Cmd, <-chan string) {
	t.Helper()
	return spawnHelper(t, natsURL, dbURL, envHelper+"=1", envCrashPoint+"="+point, envCrashAfter+"=2")
}

// waitLine waits until a helper prints a line starting with prefix.
func waitLine(t *testing.T, lines <-chan string, prefix string, timeout time.Duration) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("helper exited before printing %s", prefix)
			}
			if len(l) >= len(prefix) && l[:len(prefix)] == prefix {
				return
			}
		case <-deadline:
			t.Fatalf("helper did not print %s within %s", prefix, timeout)
		}
	}
}

// Under a steady load, the scoring process is SIGKILLed between swap and
// commit and between commit and ack, several times; the final scores equal
// the exact sums: nothing lost, nothing counted twice.
func TestScoresSurviveSIGKILLAtTheWorstMoments(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: kills and restarts a scoring process several times")
	}
	// The helpers open the rig's database; on PostgreSQL they connect to
	// this process's cluster.
	eachRig(t, crashParts, func(t *testing.T, r *rig) {
		// The load: a known multiset of events, published while the crashes happen.
		const events = 20_000
		want := map[string]int64{}
		published := make(chan error, 1)
		go func() {
			for i := range events {
				profile := fmt.Sprintf("p-%d", i%97)
				delta := int64(i%11 - 5)
				want[profile] += delta
				if _, err := r.js.PublishAsync(Subject(profile), fmt.Appendf(nil, `{"profile_id":%q,"kind":"k","delta":%d}`, profile, delta)); err != nil {
					published <- err
					return
				}
				if i%500 == 0 {
					time.Sleep(20 * time.Millisecond) // a steady stream, not one burst
				}
			}
			select {
			case <-r.js.PublishAsyncComplete():
				published <- nil
			case <-time.After(30 * time.Second):
				published <- fmt.Errorf("async publishes not acknowledged")
			}
		}()

		for i, point := range []string{"after-swap", "after-commit", "after-swap", "after-commit"} {
			cmd, lines := startHelper(t, r.nc.ConnectedUrl(), r.url, point)
			waitLine(t, lines, crashMarker, 60*time.Second)
			sigkill(t, cmd)
			t.Logf("crash %d: SIGKILL %s", i+1, point)
		}
		if err := <-published; err != nil {
			t.Fatal(err)
		}
		_, lines := startHelper(t, r.nc.ConnectedUrl(), r.url, "none")
		waitLine(t, lines, "READY", 30*time.Second)

		r.waitForExactSums(t, want, events)
	})
}
