package devstack

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// helperEnv makes the test binary act as a sagatrace that starts a child.
const helperEnv = "DEVSTACK_TEST_PARENT"

// TestChildDiesWithParent runs a parent process that starts a child and then
// destroys many OS threads, as a library calling runtime.LockOSThread without
// unlocking would. The child must survive that and die when the parent is
// SIGKILLed: `sagatrace dev` must not leave servers behind. (The churn cannot
// force the runtime to pick the thread that forked, so it guards the design
// rather than proving it; the kill half is deterministic.)
func TestChildDiesWithParent(t *testing.T) {
	if os.Getenv(helperEnv) != "" {
		runHelperParent()
		return
	}
	t.Parallel()
	parent := exec.Command(os.Args[0], "-test.run=^TestChildDiesWithParent$")
	parent.Env = append(os.Environ(), helperEnv+"=1")
	out, err := parent.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := parent.Start(); err != nil {
		t.Fatal(err)
	}
	defer parent.Process.Kill()
	lines := bufio.NewScanner(out)
	var child int
	for lines.Scan() && lines.Text() != "churned" {
		if pid, err := strconv.Atoi(lines.Text()); err == nil {
			child = pid
		}
	}
	if child == 0 {
		t.Fatal("helper parent did not report its child")
	}
	if !alive(child) {
		t.Fatal("child died when its parent's threads exited")
	}
	_ = parent.Process.Kill()
	_ = parent.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for alive(child) {
		if time.Now().After(deadline) {
			_ = syscall.Kill(child, syscall.SIGKILL)
			t.Fatal("child outlived its SIGKILLed parent")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func runHelperParent() {
	p, err := startProcess("sleeper", "/bin/sleep", []string{"60"}, nil, nil)
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Println(p.PID())
	var wg sync.WaitGroup
	for range 200 {
		wg.Go(func() {
			runtime.LockOSThread() // Never unlocked: the thread exits with us.
		})
	}
	wg.Wait()
	time.Sleep(200 * time.Millisecond) // Let a wrongly sent death signal land.
	fmt.Println("churned")
	time.Sleep(time.Hour) // Until the test SIGKILLs us.
}

// alive reports whether pid runs; a zombie waiting for init counts as dead.
func alive(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name: "pid (comm) S ...".
	i := bytes.LastIndexByte(stat, ')')
	return i >= 0 && i+2 < len(stat) && stat[i+2] != 'Z'
}
