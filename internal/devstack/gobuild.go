package devstack

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"
)

// progressInterval is how often a running build reports: often enough to
// show life, rarely enough to stay readable in a CI log.
const progressInterval = 5 * time.Second

// goBuildTools runs `go build -v -modfile=tools/go.mod` from repoRoot into a
// temporary directory next to dir and renames it to dir when complete, so an
// interrupted build never leaves a half-written binary behind.
func goBuildTools(ctx context.Context, repoRoot, dir string, progress io.Writer) error {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("the go command is needed to build the tools: %w", err)
	}
	pkgs := []string{temporalPackage, jaegerPackage, natsPackage}
	fmt.Fprintf(progress, "building tools (temporal, jaeger, nats) into %s: the first build takes several minutes, later runs reuse it\n", dir)
	start := time.Now()
	total := countStalePackages(ctx, goCmd, repoRoot, pkgs)

	// Only a build killed with SIGKILL leaves its temporary directory behind;
	// we hold the lock, so any that exist are abandoned.
	stale, _ := filepath.Glob(dir + ".tmp-*")
	for _, d := range stale {
		_ = os.RemoveAll(d)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), filepath.Base(dir)+".tmp-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp) // Nothing left to remove after the rename.

	args := append([]string{"build", "-v", "-modfile=tools/go.mod", "-o", tmp + string(filepath.Separator)}, pkgs...)
	cmd := exec.CommandContext(ctx, goCmd, args...)
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), "GOWORK=off") // -modfile must not meet a go.work.
	// On cancellation let go stop its compilers itself instead of orphaning them.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	output := newTailBuffer(8 << 10)
	counter := &packageCounter{next: output}
	cmd.Stdout = output
	cmd.Stderr = counter // `go build -v` names each package it compiles on stderr.

	stopReporting := reportBuildProgress(progress, &counter.n, total, start)
	err = cmd.Run()
	stopReporting()
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted: %w", ctx.Err())
	}
	if err != nil {
		return fmt.Errorf("go build: %w\n%s\n"+
			"The tools are pinned in tools/go.mod and fetched through the Go module proxy. "+
			"Check that the proxy is reachable (go env GOPROXY), then run\n"+
			"  cd %s && go build -modfile=tools/go.mod -o /tmp/ %s\n"+
			"to see the whole output.",
			err, output.String(), repoRoot, strings.Join(pkgs, " "))
	}
	// Under the build lock, so nobody else is using a stale dir.
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return err
	}
	fmt.Fprintf(progress, "built tools in %s\n", time.Since(start).Round(time.Second))
	return nil
}

// countStalePackages returns how many library packages the build will
// compile, or -1 when `go list` cannot tell; progress is then shown without a
// total. Main packages are left out: they are always stale, yet with a warm
// build cache only linked, and then `go build -v` does not name them.
func countStalePackages(ctx context.Context, goCmd, repoRoot string, pkgs []string) int64 {
	format := `{{if and .Stale (ne .Name "main")}}{{.ImportPath}}{{end}}`
	args := append([]string{"list", "-modfile=tools/go.mod", "-deps", "-f", format}, pkgs...)
	cmd := exec.CommandContext(ctx, goCmd, args...)
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), "GOWORK=off")
	out, err := cmd.Output()
	if err != nil {
		return -1
	}
	return int64(len(strings.Fields(string(out))))
}

// reportBuildProgress prints a line every progressInterval until the returned
// function is called.
func reportBuildProgress(w io.Writer, built *atomic.Int64, total int64, start time.Time) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		ticker := time.NewTicker(progressInterval)
		defer ticker.Stop()
		for {
			select {
			case <-done:
				return
			case <-ticker.C:
			}
			elapsed := time.Since(start).Round(time.Second)
			switch n := built.Load(); {
			case total < 0:
				fmt.Fprintf(w, "building tools: %d packages compiled (%s)\n", n, elapsed)
			case n >= total:
				fmt.Fprintf(w, "building tools: linking (%s)\n", elapsed)
			default:
				fmt.Fprintf(w, "building tools: %d/%d packages (%s)\n", n, total, elapsed)
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

// packageCounter counts the package lines `go build -v` writes and passes
// everything on to next. Errors and downloads contain spaces or start with
// '#', package paths do not.
type packageCounter struct {
	n       atomic.Int64
	next    io.Writer
	partial []byte // exec writes from one goroutine, so no lock is needed
}

func (c *packageCounter) Write(p []byte) (int, error) {
	_, _ = c.next.Write(p)
	c.partial = append(c.partial, p...)
	for {
		i := bytes.IndexByte(c.partial, '\n')
		if i < 0 {
			break
		}
		line := c.partial[:i]
		if len(line) > 0 && line[0] != '#' && !bytes.ContainsAny(line, " \t") {
			c.n.Add(1)
		}
		c.partial = c.partial[i+1:]
	}
	return len(p), nil
}
