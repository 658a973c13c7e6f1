package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"
)

// runHealthcheck probes a URL: the container images have no shell and no
// curl, so the binary checks itself (`HEALTHCHECK CMD ["/sagatrace",
// "healthcheck", "http://127.0.0.1:8081/readyz"]`).
func runHealthcheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("healthcheck <url>", "Exits 0 when GET <url> answers 2xx within --timeout, 1 otherwise.",
		"  sagatrace healthcheck http://127.0.0.1:8081/readyz", stderr)
	timeout := fs.Duration("timeout", 3*time.Second, "how long to wait for the answer")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	if fs.NArg() != 1 {
		return usageError{"healthcheck needs exactly one URL, e.g. http://127.0.0.1:8081/readyz"}
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fs.Arg(0), nil)
	if err != nil {
		return usageError{fmt.Sprintf("bad URL %q: %v", fs.Arg(0), err)}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("unhealthy: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("unhealthy: %s answered %s", fs.Arg(0), resp.Status)
	}
	fmt.Fprintln(stdout, "healthy")
	return nil
}
