package e2e

import (
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/jaegerquery"
	"github.com/sagatrace/sagatrace/services/order/orderapi"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
)

// sagatraceCheck runs `sagatrace trace --check` against the shared stack,
// reading the services with the stack's issuer key.
func sagatraceCheck(t *testing.T, bin, dtid string) (stdout, stderr string, code int) {
	t.Helper()
	s := shared.stack
	return sagatraceTrace(t, bin, dtid, "--check", "--wait", "60s",
		"--payment-url", s.Service(paymentapi.Audience).URL(), "--order-url", s.Service(orderapi.Audience).URL(),
		"--scoring-url", s.Scoring.URL(), "--auth-key", s.Keys.PrivateKeyFile)
}

// TestTraceExportAndCheck: one compensated saga exported as one file (a
// trace per hop plus the orchestration trace, every span with its service
// and the dtid), and --check passing on completed and compensated sagas
// and failing on one whose ledger was broken behind the saga's back.
func TestTraceExportAndCheck(t *testing.T) {
	bin := buildSagatrace(t)
	res := compensatedSaga(t)

	t.Run("export_holds_every_trace_of_the_dtid", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "saga.jaeger.json")
		if _, stderr, code := sagatraceTrace(t, bin, res.DTID, "--export", file, "--wait", "30s"); code != 0 {
			t.Fatalf("--export exited %d: %s", code, stderr)
		}
		var doc struct {
			Data []jaegerquery.Trace `json:"data"`
		}
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatalf("export is not Jaeger's {\"data\":[…]}: %v", err)
		}
		var got, hops []string
		spans := 0
		for _, tr := range doc.Data {
			got = append(got, jaegerquery.NormalizeTraceID(tr.TraceID))
			for _, s := range tr.Spans {
				spans++
				if tr.Service(s) == "" || s.Tag(ids.AttrDTID) != res.DTID {
					t.Errorf("trace %s span %s: service %q, dtid %q; want a service and %s", tr.TraceID, s.OperationName, tr.Service(s), s.Tag(ids.AttrDTID), res.DTID)
				}
			}
		}
		for _, h := range res.Hops {
			hops = append(hops, h.CorrelationID)
		}
		others := slices.DeleteFunc(slices.Clone(got), func(id string) bool { return slices.Contains(hops, id) })
		if len(doc.Data) != len(res.Hops)+1 || len(others) != 1 {
			t.Errorf("export holds traces %v; want the %d hop traces %v plus the orchestration trace", got, len(hops), hops)
		}

		otlpFile := filepath.Join(t.TempDir(), "saga.otlp.json")
		if _, stderr, code := sagatraceTrace(t, bin, res.DTID, "--export", otlpFile, "--format", "otlp", "--wait", "0"); code != 0 {
			t.Fatalf("--export --format otlp exited %d: %s", code, stderr)
		}
		var otlp struct {
			ResourceSpans []struct {
				ScopeSpans []struct {
					Spans []json.RawMessage `json:"spans"`
				} `json:"scopeSpans"`
			} `json:"resourceSpans"`
		}
		if raw, err = os.ReadFile(otlpFile); err == nil {
			err = json.Unmarshal(raw, &otlp)
		}
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, rs := range otlp.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				n += len(ss.Spans)
			}
		}
		if n != spans {
			t.Errorf("OTLP export holds %d spans, the Jaeger export %d", n, spans)
		}
	})

	t.Run("check_passes_on_a_compensated_saga", func(t *testing.T) {
		stdout, stderr, code := sagatraceCheck(t, bin, res.DTID)
		if code != 0 {
			t.Fatalf("--check exited %d:\n%s%s", code, stdout, stderr)
		}
		t.Logf("\n%s", stdout)
	})

	t.Run("check_passes_on_a_completed_saga", func(t *testing.T) {
		dtid := ids.NewDTID()
		if _, err := runSaga(t, sagaInput(dtid)); err != nil {
			t.Fatalf("saga failed: %v", err)
		}
		stdout, stderr, code := sagatraceCheck(t, bin, dtid)
		if code != 0 || !strings.Contains(stdout, "PASS  scored-once") {
			t.Fatalf("--check exited %d:\n%s%s", code, stdout, stderr)
		}
		t.Logf("\n%s", stdout)
	})

	// A saga the Temporal CLI started carries no DTID in baggage; the
	// worker tags its orchestration spans with the DTID of its workflow
	// ID (without that, dtid-tagged failed here).
	t.Run("check_passes_on_a_saga_the_temporal_cli_started", func(t *testing.T) {
		wfID := "cli-" + ids.NewDTID()
		in := sagaInput(wfID)
		in.DTID = ""
		if err := startFromCLI(t, wfID, in); err != nil {
			t.Fatalf("saga started from the CLI failed: %v", err)
		}
		stdout, stderr, code := sagatraceCheck(t, bin, wfID)
		if code != 0 || !strings.Contains(stdout, "PASS  dtid-tagged") {
			t.Fatalf("--check exited %d:\n%s%s", code, stdout, stderr)
		}
	})

	t.Run("check_fails_on_a_broken_ledger", func(t *testing.T) {
		broken := compensatedSaga(t)
		chargeBehindTheSagasBack(t, broken.DTID)
		stdout, stderr, code := sagatraceCheck(t, bin, broken.DTID)
		if code != 4 || !strings.Contains(stdout, "FAIL  money") || !strings.Contains(stdout, "FAIL  charge-accounted") {
			t.Fatalf("--check exited %d, want 4 with money and charge-accounted failing:\n%s%s", code, stdout, stderr)
		}
		t.Logf("\n%s", stdout)
	})
}

// chargeBehindTheSagasBack marks the refunded payment of dtid completed
// again in the payment service's database, as a bug or a hand-edit could:
// money taken for a compensated saga.
func chargeBehindTheSagasBack(t *testing.T, dtid string) {
	t.Helper()
	path := filepath.Join(shared.stack.DataDir(), paymentapi.Audience+".db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r, err := db.ExecContext(t.Context(), `UPDATE payments SET state = ? WHERE dtid = ?`, string(paymentapi.StateCompleted), dtid)
	if err != nil {
		t.Fatalf("break the ledger of %s: %v", dtid, err)
	}
	if n, _ := r.RowsAffected(); n != 1 {
		t.Fatalf("updated %d payments of %s, want 1", n, dtid)
	}
}
