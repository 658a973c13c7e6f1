package devstack_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"

	"github.com/sagatrace/sagatrace/internal/devstack"
	"github.com/sagatrace/sagatrace/internal/devstack/devstacktest"
)

func TestTemporal(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv := devstacktest.Temporal(t, devstack.TemporalOptions{})
	t.Logf("temporal at %s, UI %s", srv.HostPort(), srv.UIURL())

	c, err := client.DialContext(ctx, client.Options{
		HostPort: srv.HostPort(),
		Logger:   log.NewStructuredLogger(slog.New(slog.DiscardHandler)),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	attrs, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	if got := attrs.GetCustomAttributes()["DTID"]; got != enumspb.INDEXED_VALUE_TYPE_KEYWORD {
		t.Errorf("search attribute DTID has type %v, want Keyword", got)
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.UIURL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("web UI: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("web UI: %s", resp.Status)
	}

	assertStops(t, srv.Process)
}

// assertStops stops p and checks that it and its process group are gone.
func assertStops(t *testing.T, p *devstack.Process) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	if err := p.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("stopped in %s", time.Since(start).Round(time.Millisecond))
	select {
	case <-p.Done():
	default:
		t.Fatal("Done not closed after Stop returned")
	}
	if err := p.Err(); err != nil {
		t.Errorf("Err after Stop = %v, want nil", err)
	}
	if err := syscall.Kill(-p.PID(), 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("process group %d still exists after Stop (kill 0: %v)", p.PID(), err)
	}
}

func TestTemporalReportsEarlyExit(t *testing.T) {
	t.Parallel()
	tools := devstacktest.Tools(t)
	// A taken port makes the dev server exit at once; StartTemporal must say
	// so, with the server's stderr, instead of waiting for its timeout.
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	start := time.Now()
	srv, err := devstack.StartTemporal(t.Context(), devstack.TemporalOptions{
		Binary:   tools.Temporal,
		Headless: true,
		Port:     taken.Addr().(*net.TCPAddr).Port,
	})
	if err == nil {
		devstacktest.StopOnCleanup(t, srv)
		t.Fatal("StartTemporal on a taken port succeeded, want an error")
	}
	if !strings.Contains(err.Error(), "exited before it was ready") {
		t.Errorf("error does not report the early exit: %v", err)
	}
	t.Logf("failed after %s, as expected: %v", time.Since(start).Round(time.Millisecond), err)
}
