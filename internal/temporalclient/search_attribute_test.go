package temporalclient_test

import (
	"log/slog"
	"testing"

	"go.opentelemetry.io/otel/trace/noop"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"

	"github.com/sagatrace/sagatrace/internal/devstack"
	"github.com/sagatrace/sagatrace/internal/devstack/devstacktest"
	"github.com/sagatrace/sagatrace/internal/temporalclient"
)

// Against a real Temporal that, like an existing cluster, lacks the saga's
// attributes: the worker's start-up adds them once, and a second call
// finds them.
func TestEnsureSearchAttributesOnAClusterWithoutThem(t *testing.T) {
	srv := devstacktest.Temporal(t, devstack.TemporalOptions{Headless: true, WithoutSearchAttributes: true})
	c, err := temporalclient.Dial(t.Context(), temporalclient.Options{
		Address: srv.HostPort(), Namespace: "default", TracerProvider: noop.NewTracerProvider(), Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	for i, wantAdded := range []int{2, 0} {
		added, err := temporalclient.EnsureSearchAttributes(t.Context(), c, "default")
		if err != nil {
			t.Fatalf("call %d: %v", i+1, err)
		}
		if len(added) != wantAdded {
			t.Errorf("call %d: added %v, want %d", i+1, added, wantAdded)
		}
	}
	list, err := c.OperatorService().ListSearchAttributes(t.Context(), &operatorservice.ListSearchAttributesRequest{Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range temporalclient.SearchAttributes() {
		if got := list.GetCustomAttributes()[name]; got != enumspb.INDEXED_VALUE_TYPE_KEYWORD {
			t.Errorf("%s attribute type = %v, want Keyword", name, got)
		}
	}
}
