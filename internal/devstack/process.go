package devstack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"runtime"
	"sync/atomic"
	"syscall"
	"time"
)

const (
	// defaultStopGrace bounds Stop when its context has no deadline. Temporal
	// and Jaeger both exit well under a second after SIGINT.
	defaultStopGrace = 10 * time.Second
	// errTailSize is how much of the stderr tail goes into an error message.
	errTailSize = 4 << 10
)

// Process is a child server process. It runs until Stop is called or it
// exits by itself, which Done and Err report.
type Process struct {
	name     string
	cmd      *exec.Cmd
	stderr   *tailBuffer
	stopping atomic.Bool
	done     chan struct{}
	err      error // written once, before done is closed
}

// startProcess starts binary in its own process group. Its stdout goes to
// stdout and its stderr to stderr (either may be nil to discard); the last
// part of stderr is always kept for error messages.
func startProcess(name, binary string, args []string, stdout, stderr io.Writer) (*Process, error) {
	p := &Process{name: name, stderr: newTailBuffer(stderrTailSize), done: make(chan struct{})}
	p.cmd = exec.Command(binary, args...)
	p.cmd.SysProcAttr = childSysProcAttr()
	p.cmd.Stdout = stdout
	p.cmd.Stderr = p.stderr
	if stderr != nil {
		p.cmd.Stderr = io.MultiWriter(p.stderr, stderr)
	}
	// Don't let Wait hang on a grandchild that inherited the stderr pipe.
	p.cmd.WaitDelay = 2 * time.Second

	started := make(chan error, 1)
	go func() {
		// The parent-death signal follows the forking OS thread, and Go
		// destroys a thread when a goroutine exits while locked to it. Keeping
		// this goroutine locked from fork to reap means that thread lives
		// exactly as long as the child (the approach of moby#44215).
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := p.cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		p.exited(p.cmd.Wait())
	}()
	if err := <-started; err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	return p, nil
}

// exited records how the process ended. An exit that Stop did not ask for is
// an error even with status 0: a server is not supposed to stop by itself.
func (p *Process) exited(waitErr error) {
	if !p.stopping.Load() {
		if waitErr == nil {
			waitErr = errors.New("exit status 0")
		}
		p.err = fmt.Errorf("%s exited unexpectedly: %w%s", p.name, waitErr, p.stderrForError())
	}
	close(p.done)
}

// Stop sends SIGINT to the process group and waits for the process to exit.
// If ctx ends first (after 10s when ctx has no deadline) the group is
// SIGKILLed. Stop is safe to call more than once and after an exit.
func (p *Process) Stop(ctx context.Context) error {
	p.stopping.Store(true)
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultStopGrace)
		defer cancel()
	}
	// A negative pid addresses the whole group (Setpgid makes pgid == pid).
	// ESRCH only means it is already gone.
	if err := syscall.Kill(-p.cmd.Process.Pid, syscall.SIGINT); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("stop %s: %w", p.name, err)
	}
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
		// The leader is not reaped until done is closed, so the group id
		// cannot have been reused yet.
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
		return fmt.Errorf("stop %s: no exit after SIGINT, killed: %w", p.name, ctx.Err())
	}
}

// Done is closed when the process has exited, for whatever reason.
func (p *Process) Done() <-chan struct{} { return p.done }

// Err is nil while the process runs and after an exit requested by Stop. After
// any other exit it describes the exit, with the tail of stderr.
func (p *Process) Err() error {
	select {
	case <-p.done:
		return p.err
	default:
		return nil
	}
}

// PID is the process id, which is also its process group id.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// StderrTail returns the last 64 KiB or so of the process's stderr.
func (p *Process) StderrTail() string { return p.stderr.String() }

// stderrForError formats the end of stderr for inclusion in an error message.
func (p *Process) stderrForError() string {
	tail := p.stderr.String()
	if tail == "" {
		return " (no stderr output)"
	}
	if len(tail) > errTailSize {
		tail = "…" + tail[len(tail)-errTailSize:]
	}
	return "\n--- " + p.name + " stderr (end) ---\n" + tail
}
