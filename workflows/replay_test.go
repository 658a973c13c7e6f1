package workflows_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/trace/noop"
	"go.temporal.io/sdk/client"
	tracing "go.temporal.io/sdk/contrib/opentelemetry"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/interceptor"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/sagatrace/sagatrace/internal/drill"
	"github.com/sagatrace/sagatrace/internal/payloadcodec"
	"github.com/sagatrace/sagatrace/workflows"
)

// historiesDir holds the replay corpus: real OrderSaga histories, written
// by scripts/replay-corpus.sh against the real dev server, each file named
// <build>-<case>.json after the commit whose code ran the saga.
const historiesDir = "testdata/histories"

// corpusCases are the cases the corpus holds besides one per drill
// scenario (the script starts them itself): input the workflow refuses, a
// saga left parked (its history ends waiting for retry-compensation, as a
// saga in flight across an upgrade does), and the input rules added with
// workflow.GetVersion, so that both paths of each gate are replayed.
var corpusCases = []string{"invalid-input", "parked", "sku-too-long", "dtid-not-owned"}

// TestReplayCorpus replays every history of the corpus with today's
// workflow code, registered as the worker registers it. A failure is a
// saga of that build that an upgrade to this code would break in flight
// (its workflow task fails forever, TMPRL1100): gate the change with
// workflow.GetVersion (versions.go) instead. Never delete an old build's
// history to make this pass while sagas of that build may be in flight.
//
// Each history is replayed twice: as a worker without the payload codec
// replays it, and as one with the codec (payloadcodec) does — the corpus
// was written in clear, as every saga started before the codec was, and a
// worker that encrypts must still replay those.
func TestReplayCorpus(t *testing.T) {
	codec, err := payloadcodec.New(payloadcodec.KeySet{Keys: []payloadcodec.Key{{ID: "replay", Secret: make([]byte, payloadcodec.KeySize)}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range corpus(t) {
		for _, c := range []struct {
			name  string
			codec converter.PayloadCodec
		}{{"clear", nil}, {"codec", codec}} {
			t.Run(strings.TrimSuffix(filepath.Base(file), ".json")+"/"+c.name, func(t *testing.T) {
				if err := replay(t, file, c.codec); err != nil {
					t.Errorf("%s does not replay with this code (%s): %v", file, c.name, err)
				}
			})
		}
	}
}

// replay replays one history file on a replayer set up as the saga worker
// is: the same registration (workflows.Register) and the same tracing
// interceptor, whose workflow-side code the saga calls, and the data and
// failure converters of a worker with codec (nil: none).
func replay(t *testing.T, file string, codec converter.PayloadCodec) error {
	t.Helper()
	tracingInterceptor, err := tracing.NewTracingInterceptor(tracing.TracerOptions{Tracer: noop.NewTracerProvider().Tracer("replay")})
	if err != nil {
		t.Fatal(err)
	}
	opts := worker.WorkflowReplayerOptions{Interceptors: []interceptor.WorkerInterceptor{tracingInterceptor}}
	if codec != nil {
		opts.DataConverter = payloadcodec.DataConverter(codec)
		opts.FailureConverter = payloadcodec.FailureConverter(opts.DataConverter)
	}
	r, err := worker.NewWorkflowReplayerWithOptions(opts)
	if err != nil {
		t.Fatal(err)
	}
	workflows.Register(r)

	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	history, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	// The saga reads its workflow ID (the DTID of a saga started without
	// one, the check that the DTID belongs to the workflow), so it is
	// replayed under the ID it ran with, not the replayer's "ReplayId".
	started := history.GetEvents()[0].GetWorkflowExecutionStartedEventAttributes()
	if started.GetWorkflowId() == "" {
		t.Fatalf("%s: the started event names no workflow ID", file)
	}
	logger := tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})))
	return r.ReplayWorkflowHistoryWithOptions(logger, history, worker.ReplayWorkflowHistoryOptions{
		OriginalExecution: workflow.Execution{ID: started.GetWorkflowId(), RunID: started.GetOriginalExecutionRunId()},
	})
}

// TestReplayCorpusCoversEveryOutcome holds the corpus to the drill: every
// scenario's outcome, and every case of corpusCases, has a history of at
// least one build, so a new scenario comes with a refresh of the corpus.
func TestReplayCorpusCoversEveryOutcome(t *testing.T) {
	files := corpus(t)
	for _, c := range append(drill.Names(), corpusCases...) {
		if !slices.ContainsFunc(files, func(f string) bool { return strings.HasSuffix(f, "-"+c+".json") }) {
			t.Errorf("no history of case %s in %s: run scripts/replay-corpus.sh", c, historiesDir)
		}
	}
}

// corpus lists the history files of the corpus.
func corpus(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(historiesDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no histories in %s; scripts/replay-corpus.sh writes them", historiesDir)
	}
	return files
}
