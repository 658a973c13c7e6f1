package devstack

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestProcessReportsUnexpectedExit(t *testing.T) {
	t.Parallel()
	p := startShell(t, "failer", "echo 'fatal: boom' >&2; exit 3")
	select {
	case <-p.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("Done not closed after the process exited")
	}
	err := p.Err()
	if err == nil || !strings.Contains(err.Error(), "exit status 3") || !strings.Contains(err.Error(), "fatal: boom") {
		t.Errorf("Err() = %v, want the exit status and the stderr tail", err)
	}
}

func TestProcessStopInterruptsGroup(t *testing.T) {
	t.Parallel()
	// The shell forks sleep: Stop must reach the grandchild too.
	p := startShell(t, "sleeper", "sleep 60; true")
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := p.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := p.Err(); err != nil {
		t.Errorf("Err() after Stop = %v, want nil", err)
	}
	waitGroupGone(t, p.PID())
	if err := p.Stop(ctx); err != nil {
		t.Errorf("second Stop = %v, want nil", err)
	}
}

func TestProcessStopKillsAfterDeadline(t *testing.T) {
	t.Parallel()
	// An ignored SIGINT is inherited by sleep, so only SIGKILL ends them.
	// The shell says when its trap is installed by creating a file.
	trapped := filepath.Join(t.TempDir(), "trapped")
	p := startShell(t, "stubborn", "trap '' INT; : > '"+trapped+"'; sleep 60; true")
	deadline := time.Now().Add(10 * time.Second)
	for _, err := os.Stat(trapped); err != nil; _, err = os.Stat(trapped) {
		if time.Now().After(deadline) {
			t.Fatalf("the shell did not install its trap within 10s: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := p.Stop(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Stop = %v, want a deadline error", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Stop took %s", d)
	}
	// The orphaned sleep is reaped by init, not by us: allow it a moment.
	waitGroupGone(t, p.PID())
}

// startShell runs script with /bin/sh as the process name.
func startShell(t *testing.T, name, script string) *Process {
	t.Helper()
	p, err := startProcess(name, "/bin/sh", []string{"-c", script}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// waitGroupGone fails t unless process group pgid disappears within 5s.
func waitGroupGone(t *testing.T, pgid int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := syscall.Kill(-pgid, 0)
		if errors.Is(err, syscall.ESRCH) {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("process group %d still exists (kill 0: %v)", pgid, err)
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestTailBufferKeepsEnd(t *testing.T) {
	t.Parallel()
	b := newTailBuffer(16)
	for i := range 100 {
		_, _ = b.Write([]byte(strings.Repeat("x", i%7) + "\n"))
	}
	_, _ = b.Write([]byte("last line\n"))
	got := b.String()
	if !strings.HasSuffix(got, "last line") || len(got) > 16 {
		t.Errorf("String() = %q, want at most 16 bytes ending in the last line", got)
	}
}

func TestFillTCPPortsDistinct(t *testing.T) {
	t.Parallel()
	ports := make([]int, 8)
	ptrs := make([]*int, len(ports))
	for i := range ports {
		ptrs[i] = &ports[i]
	}
	ports[0] = 4242 // given ports are kept
	if err := fillTCPPorts("127.0.0.1", ptrs...); err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, p := range ports {
		if p == 0 || seen[p] {
			t.Fatalf("ports %v: want distinct non-zero ports", ports)
		}
		seen[p] = true
	}
	if ports[0] != 4242 {
		t.Errorf("given port replaced: %v", ports)
	}
}
