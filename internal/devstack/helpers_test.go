package devstack_test

import (
	"context"
	"testing"
	"time"

	"github.com/sagatrace/sagatrace/internal/devstack"
	"github.com/sagatrace/sagatrace/internal/devstack/devstacktest"
)

// stopper is what Temporal and Jaeger have in common for the tests.
type stopper interface {
	Stop(ctx context.Context) error
}

// stopOnCleanup stops s when the test ends, in case an assertion failed
// before the test stopped it itself. Stop is idempotent.
func stopOnCleanup(t *testing.T, s stopper) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Stop(ctx); err != nil {
			t.Error(err)
		}
	})
}

// startServer starts a server with the real binaries, stops it when the
// test ends (if the test did not), and logs how long it took to be ready.
func startServer[S stopper](t *testing.T, start func(devstack.Tools) (S, error)) S {
	t.Helper()
	tools := devstacktest.Tools(t)
	began := time.Now()
	s, err := start(tools)
	if err != nil {
		t.Fatal(err)
	}
	stopOnCleanup(t, s)
	t.Logf("%T ready in %s", s, time.Since(began).Round(time.Millisecond))
	return s
}
