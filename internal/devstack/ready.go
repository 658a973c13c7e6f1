package devstack

import (
	"context"
	"fmt"
	"io"
	"time"
)

const (
	readyPollInterval = 100 * time.Millisecond
	probeTimeout      = 2 * time.Second
)

// startReady starts binary as startProcess does and waits until probe
// succeeds, for at most timeout; a server that is not ready by then is
// stopped again.
func startReady(ctx context.Context, name, binary string, args []string, stdout, stderr io.Writer, timeout time.Duration, probe func(context.Context) error) (*Process, error) {
	p, err := startProcess(name, binary, args, stdout, stderr)
	if err != nil {
		return nil, err
	}
	if err := p.waitReady(ctx, timeout, probe); err != nil {
		p.stopAfterFailedStart()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	return p, nil
}

// waitReady calls probe until it succeeds. It gives up when the process exits
// (no point waiting for a dead server), when timeout passes or when ctx ends;
// the error then carries the last probe error and the end of stderr.
func (p *Process) waitReady(ctx context.Context, timeout time.Duration, probe func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// A probe can hang until its own timeout on a port that accepts but never
	// answers; cancelling on exit reports a crash at once instead.
	go func() {
		select {
		case <-p.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	ticker := time.NewTicker(readyPollInterval)
	defer ticker.Stop()
	for {
		probeCtx, cancelProbe := context.WithTimeout(ctx, probeTimeout)
		err := probe(probeCtx)
		cancelProbe()
		if err == nil {
			return nil
		}
		select {
		case <-ticker.C:
			continue
		case <-ctx.Done():
		}
		// ctx ends either because the process exited (see above) or because
		// time is up; the two call for different messages.
		select {
		case <-p.done:
			return fmt.Errorf("%s exited before it was ready: %w", p.name, p.Err())
		default:
			return fmt.Errorf("%s not ready: %w (last check: %v)%s", p.name, ctx.Err(), err, p.stderrForError())
		}
	}
}

// stopAfterFailedStart stops a process whose start-up failed. It uses a fresh
// context because the caller's may be the reason the start failed.
func (p *Process) stopAfterFailedStart() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = p.Stop(ctx) // The start-up error is the one worth reporting.
}
