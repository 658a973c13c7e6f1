package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

// runHealthcheck probes a URL: the container images have no shell and no
// curl, so the binary checks itself (`HEALTHCHECK CMD ["/sagatrace",
// "healthcheck", "http://127.0.0.1:8081/readyz"]`). A file: URL checks that
// a file is there and not empty: the token `token --renew` keeps.
func runHealthcheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("healthcheck <url>", "Exits 0 when GET <url> answers 2xx within --timeout, 1 otherwise.\n"+
		"A file:///path URL is healthy when the file exists and is not empty.",
		"  sagatrace healthcheck http://127.0.0.1:8081/readyz\n  sagatrace healthcheck file:///etc/sagatrace/order-token/payment.token", stderr)
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
	if path, ok := strings.CutPrefix(fs.Arg(0), "file://"); ok {
		fi, err := os.Stat(path)
		switch {
		case err != nil:
			return fmt.Errorf("unhealthy: %w", err)
		case fi.Size() == 0:
			return fmt.Errorf("unhealthy: %s is empty", path)
		}
		fmt.Fprintln(stdout, "healthy")
		return nil
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
