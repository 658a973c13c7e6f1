package servicetest

import (
	"bufio"
	"os/exec"
	"testing"
)

// StartLines starts cmd and returns the lines it prints on stdout, in
// order; the channel closes when cmd closes its stdout. The test's cleanup
// kills and reaps cmd. The channel holds a few lines: a test that stops
// reading while cmd still prints stalls cmd, so it drains what it does not
// need.
func StartLines(t testing.TB, cmd *exec.Cmd) <-chan string {
	t.Helper()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", cmd.Path, err)
	}
	done := make(chan struct{})
	t.Cleanup(func() {
		close(done) // before the kill, so that the reader never waits for a test that has ended
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	lines := make(chan string, 16)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-done:
				return
			}
		}
	}()
	return lines
}
