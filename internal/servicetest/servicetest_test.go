package servicetest_test

import (
	"context"
	"database/sql"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/httpclient"
	"github.com/sagatrace/sagatrace/internal/httpserver"
	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/servicetest"
	"github.com/sagatrace/sagatrace/internal/telemetry"
)

// cursorPrefix + a number is the toy service's cursor: a valid UUID.
const cursorPrefix = "0197a1b2-0000-7000-8000-00000000000"

// newThings serves a toy service: POST /v1/things writes an audit row with
// the hop's correlation ID; GET /v1/things pages over the numbers 1 to 5.
func newThings(t *testing.T) *servicetest.Env {
	// A toy service: one SQLite file is enough; the services' own tests run
	// on every backend.
	return servicetest.New(t, "things", filepath.Join(t.TempDir(), "things.db"), func(ctx context.Context, db *sql.DB, tp trace.TracerProvider, logger *slog.Logger) (http.Handler, error) {
		if _, err := db.ExecContext(ctx, `CREATE TABLE thing_events (dtid TEXT, state TEXT, correlation_id TEXT)`); err != nil {
			return nil, err
		}
		return httpserver.ServiceHandler(httpserver.Routes{
			"POST /v1/things": func(w http.ResponseWriter, r *http.Request) error {
				if _, err := httpserver.RequireIdempotencyKey(r); err != nil {
					return err
				}
				ctx := r.Context()
				_, err := db.ExecContext(ctx, `INSERT INTO thing_events VALUES ($1, 'made', $2)`, ids.DTIDFrom(ctx), ids.CorrelationIDFrom(ctx))
				if err != nil {
					return err
				}
				return httpserver.WriteJSON(w, http.StatusCreated, struct{}{})
			},
			"GET /v1/things": func(w http.ResponseWriter, r *http.Request) error {
				q, err := httpserver.ParseListQuery(r)
				if err != nil {
					return err
				}
				after, _ := strconv.Atoi(strings.TrimPrefix(q.Cursor, cursorPrefix))
				var page httpapi.Page[int]
				for n := after + 1; n <= 5 && len(page.Items) < q.Limit; n++ {
					page.Items = append(page.Items, n)
				}
				if last := page.Items[len(page.Items)-1]; last < 5 {
					page.NextCursor = cursorPrefix + strconv.Itoa(last)
				}
				return httpserver.WritePage(w, page)
			},
		}, db.PingContext, tp, telemetry.Propagator(), logger), nil
	})
}

func TestEnvRecordsTheHop(t *testing.T) {
	e := newThings(t)
	dtid := ids.NewDTID()
	ctx, traceID := e.Hop(t, dtid)
	if err := httpclient.Do(ctx, e.HTTPClient, http.MethodPost, e.URL+"/v1/things", httpclient.WriteHeaders(ctx, "k-1", ""), struct{}{}, nil); err != nil {
		t.Fatal(err)
	}
	got := e.Events(t, `SELECT dtid, state, correlation_id FROM thing_events`)
	if want := []servicetest.Event{{DTID: dtid, State: "made", CorrelationID: traceID}}; !slices.Equal(got, want) {
		t.Errorf("events = %v, want %v", got, want)
	}
	if len(e.ClientSpans.Ended()) != 1 || len(e.ServerSpans.Ended()) != 1 {
		t.Errorf("spans: %d client, %d server, want 1 each", len(e.ClientSpans.Ended()), len(e.ServerSpans.Ended()))
	}
	if !strings.Contains(e.Logs(), `"route":"POST /v1/things"`) {
		t.Errorf("no access log line:\n%s", e.Logs())
	}
}

func TestPostAndAtOnce(t *testing.T) {
	e := newThings(t)
	if status, _, body := e.Post(t, "/v1/things", "", `{}`); status != 400 {
		t.Errorf("without a key: %d %s", status, body)
	}
	var calls atomic.Int32
	servicetest.AtOnce(8, func(int) {
		calls.Add(1)
		if status, _, body := e.Post(t, "/v1/things", "k-1", `{}`); status != 201 {
			t.Errorf("with a key: %d %s", status, body)
		}
	})
	if calls.Load() != 8 || e.Count(t, "thing_events") != 8 {
		t.Errorf("%d calls, %d rows, want 8 each", calls.Load(), e.Count(t, "thing_events"))
	}
}

func TestListAllFollowsCursors(t *testing.T) {
	e := newThings(t)
	list := func(ctx context.Context, q httpapi.ListQuery) (httpapi.Page[int], error) {
		return httpclient.GetPage[int](ctx, e.HTTPClient, e.URL+"/v1/things", q)
	}
	items, sizes := servicetest.ListAll(t, list, httpapi.ListQuery{Limit: 2})
	if !slices.Equal(items, []int{1, 2, 3, 4, 5}) || !slices.Equal(sizes, []int{2, 2, 1}) {
		t.Errorf("items %v in pages %v", items, sizes)
	}
}
