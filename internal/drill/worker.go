package drill

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
)

// workerProcess is a saga worker the drill runs as a separate process —
// `sagatrace serve worker` — so that it can be SIGKILLed like a crashed
// host. It polls a task queue of the drill's own (workerSpec), so that
// what the drill does to it (a kill, a proxy in front of a service or of
// NATS) reaches every saga of its scenario and no saga of anyone else.
type workerProcess struct {
	cmd     *exec.Cmd
	queue   string
	logPath string
	exited  chan struct{} // closed once the process is reaped
	waitErr error         // valid after exited is closed
	// ready: it polled. Its log is removed when it ends; a worker that
	// never polled keeps its log, which the error names.
	ready bool
}

// workerReadyTimeout bounds the wait for a new worker's pollers.
const workerReadyTimeout = 30 * time.Second

// workerSpec is where a drill's worker polls and whom it calls; an empty
// URL is the stack's own.
type workerSpec struct {
	taskQueue           string
	paymentURL, natsURL string
}

// startWorker starts a worker process and waits until Temporal sees its
// pollers on both the workflow and the activity task queue.
func (d *driver) startWorker(ctx context.Context, spec workerSpec) (*workerProcess, error) {
	if d.o.WorkerBinary == "" {
		return nil, errors.New("a sagatrace binary is needed to run a worker process (WorkerBinary)")
	}
	logf, err := os.CreateTemp("", "sagatrace-drill-worker-*.log")
	if err != nil {
		return nil, fmt.Errorf("worker log: %w", err)
	}
	defer logf.Close() // the child holds its own descriptor
	paymentURL, natsURL := cmp.Or(spec.paymentURL, d.o.PaymentURL), cmp.Or(spec.natsURL, d.o.NATSURL)
	// Unversioned (--deployment-name ""): its queue lives for one scenario,
	// and registering each in a Worker Deployment would exhaust the
	// server's limits (100 task queues per version, 100 deployments per
	// namespace) after a few drills on one data dir.
	args := []string{"serve", "worker", "--task-queue", spec.taskQueue, "--deployment-name", "",
		"--temporal-address", d.o.TemporalAddress, "--namespace", d.o.Namespace,
		"--payment-url", paymentURL, "--order-url", d.o.OrderURL, "--nats-url", natsURL, "--nats-nkey", d.o.NATSSeedFile,
		"--otlp-endpoint", d.o.OTLPEndpoint, "--faults", "--log-level", "info",
		"--auth-key", d.o.Auth.KeyFile, "--auth-token-file", d.o.Auth.TokenFile, "--auth-issuer", d.o.Auth.Issuer,
		"--codec-key-file", d.o.CodecKeyFile}
	// Not CommandContext: the drill kills it on purpose, and stops it
	// gracefully otherwise; a cancelled drill must not leave it SIGKILLed
	// half-way through a hop either.
	cmd := exec.Command(d.o.WorkerBinary, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s serve worker: %w", d.o.WorkerBinary, err)
	}
	w := &workerProcess{cmd: cmd, queue: spec.taskQueue, logPath: logf.Name(), exited: make(chan struct{})}
	go func() {
		w.waitErr = cmd.Wait()
		close(w.exited)
	}()
	if err := d.awaitPollers(ctx, w); err != nil {
		return nil, errors.Join(err, w.stop())
	}
	w.ready = true
	return w, nil
}

// identity is the prefix of the Temporal identity of the process's
// pollers: the SDK's default identity is "<pid>@<host>@…".
func (w *workerProcess) identity() string { return strconv.Itoa(w.cmd.Process.Pid) + "@" }

func (w *workerProcess) pid() int { return w.cmd.Process.Pid }

func (d *driver) awaitPollers(ctx context.Context, w *workerProcess) error {
	deadline := time.Now().Add(workerReadyTimeout)
	for {
		ready := true
		for _, typ := range []enumspb.TaskQueueType{enumspb.TASK_QUEUE_TYPE_WORKFLOW, enumspb.TASK_QUEUE_TYPE_ACTIVITY} {
			resp, err := d.temporal.DescribeTaskQueue(ctx, w.queue, typ)
			if err != nil {
				return fmt.Errorf("describe task queue %s: %w", w.queue, err)
			}
			polling := false
			for _, p := range resp.GetPollers() {
				polling = polling || strings.HasPrefix(p.GetIdentity(), w.identity())
			}
			ready = ready && polling
		}
		if ready {
			return nil
		}
		select {
		case <-w.exited:
			return fmt.Errorf("worker process exited before polling (%v); its log: %s", w.waitErr, w.logPath)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("worker process %d not polling %s after %s; its log: %s", w.pid(), w.queue, workerReadyTimeout, w.logPath)
		}
	}
}

// kill SIGKILLs the process: no graceful stop, no span flush, activities
// in flight are abandoned mid-request, as when a host dies.
func (w *workerProcess) kill() error {
	if err := w.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("kill worker %d: %w", w.pid(), err)
	}
	<-w.exited
	w.removeLog()
	return nil
}

// stop asks the process to stop (SIGINT: it finishes what is in flight and
// flushes its spans) and kills it after 15 s.
func (w *workerProcess) stop() error {
	if err := w.cmd.Process.Signal(os.Interrupt); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("interrupt worker %d: %w", w.pid(), err)
	}
	select {
	case <-w.exited:
		w.removeLog()
		return nil
	case <-time.After(15 * time.Second):
		return w.kill()
	}
}

func (w *workerProcess) removeLog() {
	if w.ready {
		_ = os.Remove(w.logPath) // a temp file; the OS cleans up what this misses
	}
}
