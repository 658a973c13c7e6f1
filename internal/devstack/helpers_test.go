package devstack_test

import (
	"context"
	"testing"
	"time"

	"github.com/sagatrace/sagatrace/internal/devstack"
)

// buildTools returns the real Temporal and Jaeger binaries, building them on
// first use. Deliberately no shortcut through a prebuilt directory: CI on a
// clean clone has to exercise exactly what `sagatrace dev` does.
func buildTools(t *testing.T) devstack.Tools {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: needs the real Temporal and Jaeger binaries, whose first build takes several minutes")
	}
	root, err := devstack.FindRepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	tools, err := devstack.BuildTools(t.Context(), root, t.Output())
	if err != nil {
		t.Fatal(err)
	}
	return tools
}

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
