package e2e

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	_ "modernc.org/sqlite" // the services' SQLite driver, to read a schema version

	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/operator"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
	"github.com/sagatrace/sagatrace/workflows"
)

// oldBuild is the build whose data dir e2e/testdata holds: the last one
// before any workflow.GetVersion-gated change, whose parked sagas wait for
// the retry-compensation signal. scripts/old-data-dir.sh makes the files.
const oldBuild = "2cc461c"

// oldDataDir is e2e/testdata/datadir-<build>.json: the sagas the script
// left in the data dir.
type oldDataDir struct {
	Commit string `json:"commit"`
	Sagas  []struct {
		Case string `json:"case"`
		DTID string `json:"dtid"`
	} `json:"sagas"`
}

// An upgrade never strands a parked saga: the data dir of `sagatrace dev`
// of the old build, with one saga parked (its refund failed the whole
// budget) and one completed, is started by this build's stack. The new
// worker replays the old histories, so the parked saga answers saga_state
// and is listed as parked although it never had the SagaStatus attribute;
// one retry reaches it as the signal it waits for (the update is refused
// for a saga of the old build) and it compensates, its payment refunded in
// the payment service's database, migrated at start from the old schema.
// A new saga runs to completion beside it.
func TestUpgradeContinuesASagaParkedByAnOldBuild(t *testing.T) {
	var meta oldDataDir
	b, err := os.ReadFile(filepath.Join("testdata", "datadir-"+oldBuild+".json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &meta); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(meta.Commit, oldBuild) {
		t.Fatalf("testdata/datadir-%s.json is of commit %q", oldBuild, meta.Commit)
	}
	byCase := map[string]string{}
	for _, sg := range meta.Sagas {
		byCase[sg.Case] = sg.DTID
	}
	parked, completed := byCase["parked"], byCase["completed"]
	if parked == "" || completed == "" {
		t.Fatalf("testdata/datadir-%s.json names no parked or completed saga: %s", oldBuild, b)
	}

	dataDir := t.TempDir()
	unpack(t, filepath.Join("testdata", "datadir-"+oldBuild+".tar.gz"), dataDir)
	paymentDB := filepath.Join(dataDir, paymentapi.Audience+".db")
	// The old payment database predates the ledger's voids (3) and
	// callers (4) migrations, which this build applies at start.
	if v := schemaVersion(t, paymentDB); v >= 3 {
		t.Fatalf("the old build's payment database is at schema version %d, want one before the voids migration (3)", v)
	}
	up := startUpgradedStack(t, dataDir)
	if v := schemaVersion(t, paymentDB); v < 4 {
		t.Errorf("the payment database is at schema version %d after the upgrade, want the callers migration (4) applied", v)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	wfID := workflows.WorkflowID(parked)

	// The query makes the new worker replay the whole old history: a
	// non-determinism error would be its answer.
	st := queryState(ctx, t, up.temporal, wfID)
	if st.Status != workflows.StatusCompensationFailed || st.Step != workflows.StepOrder || st.PaymentID == "" {
		t.Fatalf("saga_state of the old build's parked saga: %+v, want compensation_failed at step order with its payment", st)
	}
	if st := queryState(ctx, t, up.temporal, workflows.WorkflowID(completed)); st.Status != workflows.StatusCompleted {
		t.Errorf("saga_state of the old build's completed saga: %+v, want completed", st)
	}

	// It never had the SagaStatus attribute: the queue's fallback (open
	// OrderSagas without it, asked for their state) finds it.
	var listed operator.Saga
	eventually(t, time.Minute, func() (bool, string) {
		sagas, err := operator.List(ctx, up.temporal, "default", workflows.StatusCompensationFailed, 100)
		if err != nil {
			return false, err.Error()
		}
		i := slices.IndexFunc(sagas, func(sg operator.Saga) bool { return sg.DTID == parked })
		if i < 0 {
			return false, fmt.Sprintf("parked saga %s not listed: %+v", parked, sagas)
		}
		listed = sagas[i]
		return true, ""
	})
	if listed.Step != workflows.StepOrder || listed.Attempts != workflows.CompensationAttempts || listed.LastError == "" {
		t.Errorf("the old build's parked saga is listed as %+v, want step order after %d refund attempts with its error", listed, workflows.CompensationAttempts)
	}

	out, err := operator.Act(ctx, up.temporal, wfID, workflows.UpdateRetryCompensation, workflows.OperatorRequest{Operator: "e2e-upgrade"})
	if err != nil {
		t.Fatalf("retry the old build's parked saga: %v", err)
	}
	if !out.BySignal {
		t.Errorf("the retry reached the old build's saga as an update (%+v), want the signal it waits for", out.State)
	}
	err = up.temporal.GetWorkflow(ctx, wfID, "").Get(ctx, nil)
	res := requireCompensatedResult(t, err)
	// The refund's attempts go on across the retry: the old build's 8, then
	// attempt 9 (the retry's first) fails and 10 (its second) refunds.
	if n := len(res.Hops); n == 0 || res.Hops[n-1].Operation != string(paymentapi.OpRefund) ||
		res.Hops[n-1].Outcome != "ok" || res.Hops[n-1].Attempt != 2 {
		t.Errorf("hops after the retry: %+v, want the refund's second attempt of the retry ok", res.Hops)
	}

	payments := up.paymentClient()
	page, err := payments.List(ctx, paymentapi.ListFilter{DTID: parked})
	if err != nil {
		t.Fatalf("list the parked saga's payments: %v", err)
	}
	if len(page.Items) != 1 || page.Items[0].PaymentID != st.PaymentID || page.Items[0].State != paymentapi.StateRefunded {
		t.Errorf("payments of the compensated old saga: %+v, want its payment %s refunded", page.Items, st.PaymentID)
	}

	// A new saga on the upgraded stack runs to completion.
	in := sagaInput(ids.NewDTID())
	run, err := up.temporal.ExecuteWorkflow(ctx, workflows.StartOptions(in.DTID, workflows.TaskQueue), workflows.WorkflowType, in)
	if err != nil {
		t.Fatal(err)
	}
	var done workflows.Result
	if err := run.Get(ctx, &done); err != nil || done.Status != workflows.StatusCompleted {
		t.Fatalf("a new saga on the upgraded stack: %+v, %v; want completed", done, err)
	}
	if page, err := payments.List(ctx, paymentapi.ListFilter{DTID: in.DTID}); err != nil || len(page.Items) != 1 || page.Items[0].State != paymentapi.StateCompleted {
		t.Errorf("payments of the new saga: %+v, %v; want one completed", page.Items, err)
	}
}

func startUpgradedStack(t *testing.T, dataDir string) *ownStack {
	t.Helper()
	up := startOwnStack(t, ownStackConfig{dataDir: dataDir})
	// The old build left its data dir world-readable (0755, logs 0644); this
	// build takes it for its owner alone: it holds the issuer's key.
	for _, p := range []struct {
		path string
		want os.FileMode
	}{{dataDir, 0o700}, {filepath.Join(dataDir, "temporal.log"), 0o600}} {
		if info, err := os.Stat(p.path); err != nil || info.Mode().Perm() != p.want {
			t.Errorf("%s: mode %v (%v), want %04o", p.path, info.Mode().Perm(), err, p.want)
		}
	}
	return up
}

func queryState(ctx context.Context, t *testing.T, c client.Client, wfID string) workflows.State {
	t.Helper()
	v, err := c.QueryWorkflow(ctx, wfID, "", workflows.QuerySagaState)
	if err != nil {
		t.Fatalf("query %s of %s: %v", workflows.QuerySagaState, wfID, err)
	}
	var st workflows.State
	if err := v.Get(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

// schemaVersion reads the payment service's latest migration in the
// SQLite file at path, read-only, beside the service that may hold it open.
func schemaVersion(t *testing.T, path string) int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v int
	if err := db.QueryRowContext(t.Context(), `SELECT MAX(version) FROM schema_migrations WHERE component = ?`, paymentapi.Audience).Scan(&v); err != nil {
		t.Fatalf("schema version of %s: %v", path, err)
	}
	return v
}

// unpack extracts the gzipped tar archive into dir; the archive holds
// directories and regular files only, each under dir.
func unpack(t *testing.T, archive, dir string) {
	t.Helper()
	f, err := os.Open(archive)
	if err != nil {
		t.Fatalf("%v (made by scripts/old-data-dir.sh)", err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Clean(h.Name)
		if !filepath.IsLocal(name) && name != "." {
			t.Fatalf("%s: %q leaves the data dir", archive, h.Name)
		}
		path := filepath.Join(dir, name)
		switch h.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(path, 0o755)
		case tar.TypeReg:
			err = writeFile(path, tr, h.FileInfo().Mode().Perm())
		default:
			t.Fatalf("%s: %q is neither a file nor a directory", archive, h.Name)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func writeFile(path string, r io.Reader, mode os.FileMode) error {
	out, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, r); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
