package ledger_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sagatrace/sagatrace/internal/auth"
	"github.com/sagatrace/sagatrace/internal/database/dbtest"
	"github.com/sagatrace/sagatrace/internal/faults"
	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/ledger"
	"github.com/sagatrace/sagatrace/internal/servicetest"
)

// A create writes each state it enters with the correlation ID of the hop,
// and every span of the request stays in the hop's trace.
func TestCreateWritesEachStateWithTheHopsCorrelationID(t *testing.T) {
	eachEnv(t, ledger.Config{}, func(t *testing.T, e *env) {
		dtid := ids.NewDTID()
		made, _, traceID := e.createOne(t, dtid)
		if made.State != e.svc.created[len(e.svc.created)-1] || made.DTID != dtid || made.ID == "" {
			t.Fatalf("%s = %+v", e.svc.name, made)
		}
		var want []event
		for _, s := range e.svc.created {
			want = append(want, event{dtid, s, traceID})
		}
		if got := e.events(t, made.ID); !slices.Equal(got, want) {
			t.Errorf("audit rows = %v\nwant       %v", got, want)
		}
		for _, c := range made.History {
			if c.CorrelationID != traceID || c.At.IsZero() {
				t.Errorf("history entry %+v does not carry correlation ID %s", c, traceID)
			}
		}
		if got := statesOf(made.History); !slices.Equal(got, e.svc.created) {
			t.Errorf("history = %v", got)
		}

		// The traceparent the client sent is the trace the server continued.
		var clientSpan bool
		for _, s := range e.ClientSpans.Ended() {
			clientSpan = clientSpan || (s.Name() == "HTTP POST" && s.SpanContext().TraceID().String() == traceID)
		}
		if !clientSpan {
			t.Error("no client span in the hop's trace")
		}
		storeSpans := 0
		for _, s := range e.ServerSpans.Ended() {
			if s.SpanContext().TraceID().String() != traceID {
				t.Errorf("server span %q is in trace %s, want %s", s.Name(), s.SpanContext().TraceID(), traceID)
			}
			if !strings.HasPrefix(s.Name(), e.svc.name+".store.") {
				continue
			}
			storeSpans++
			attrs := map[string]string{}
			for _, a := range s.Attributes() {
				attrs[string(a.Key)] = a.Value.Emit()
			}
			if attrs["dtid"] != dtid || attrs["db.system.name"] != map[string]string{"sqlite": "sqlite", "postgres": "postgresql"}[e.backend.Name] {
				t.Errorf("store span %q attributes = %v", s.Name(), attrs)
			}
		}
		if storeSpans != e.svc.storeSpansOfCreate {
			t.Errorf("store spans = %d, want %d", storeSpans, e.svc.storeSpansOfCreate)
		}
	})
}

// A replay of the Idempotency-Key answers the first result and writes
// nothing, whatever faults it carries; another request under the key is
// refused.
func TestCreateReplay(t *testing.T) {
	eachService(t, func(t *testing.T, svc service, backend dbtest.Backend) {
		type change struct {
			name   string
			fields map[string]any
			faults string
		}
		tests := []change{
			{name: "same_request_returns_same_entity"},
			{name: "replay_ignores_a_later_fault", faults: string(svc.faultCreate) + "=error"},
		}
		for name, fields := range svc.changes {
			tests = append(tests, change{name: name, fields: fields})
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				e := newEnv(t, svc, backend, ledger.Config{FaultsEnabled: true})
				dtid := ids.NewDTID()
				key := ids.IdempotencyKey(dtid, svc.name)
				ctx, firstTrace := e.Hop(t, dtid)
				first, err := e.client.create(ctx, key, e.svc.request(dtid))
				if err != nil {
					t.Fatal(err)
				}
				ctx, _ = e.Hop(t, dtid)
				again, err := e.client.create(faults.WithPlan(ctx, tt.faults), key, e.svc.with(dtid, tt.fields))
				if tt.fields == nil {
					if err != nil || again.ID != first.ID || again.State != first.State || len(again.History) != len(svc.created) {
						t.Fatalf("replay = %+v, %v; want %+v", again, err, first)
					}
				} else {
					var pe *httpapi.ProblemError
					if !errors.As(err, &pe) || pe.Status != 422 || pe.Type != svc.keyReused {
						t.Fatalf("replay error = %v, want 422 %s", err, svc.keyReused)
					}
				}
				if n := e.Count(t, svc.table); n != 1 {
					t.Errorf("%s = %d, want 1", svc.table, n)
				}
				for _, ev := range e.events(t, first.ID) {
					if ev.CorrelationID != firstTrace {
						t.Errorf("row %v was rewritten by the replay", ev)
					}
				}
				if n := e.Count(t, svc.events); n != len(svc.created) {
					t.Errorf("audit rows = %d, want %d", n, len(svc.created))
				}
			})
		}
	})
}

func TestCreateReplayStatusCodes(t *testing.T) {
	eachEnv(t, ledger.Config{}, func(t *testing.T, e *env) {
		body := e.body(t, ids.NewDTID())
		for i, want := range []int{201, 200, 200} {
			status, hdr, resp := e.Post(t, e.path(), "k-status", body)
			if status != want {
				t.Errorf("request %d: status %d, want %d: %s", i+1, status, want, resp)
			}
			if loc := hdr.Get("Location"); (status == 201) != strings.HasPrefix(loc, e.path()+"/") {
				t.Errorf("request %d: Location %q with status %d", i+1, loc, status)
			}
		}
	})
}

// Twenty identical creates released at once, as a saga's retries and a
// double start of one DTID could send them, make one entity.
func TestConcurrentCreatesWithOneKeyCreateOne(t *testing.T) {
	eachEnv(t, ledger.Config{}, func(t *testing.T, e *env) {
		dtid := ids.NewDTID()
		key := ids.IdempotencyKey(dtid, e.svc.name)
		const n = 20
		results := make([]entity, n)
		errs := make([]error, n)
		servicetest.AtOnce(n, func(i int) {
			ctx, _ := e.Hop(t, dtid)
			results[i], errs[i] = e.client.create(ctx, key, e.svc.request(dtid))
		})
		final := e.svc.created[len(e.svc.created)-1]
		for i := range n {
			if errs[i] != nil || results[i].ID != results[0].ID || results[i].State != final {
				t.Errorf("create %d = %s %s, %v; want %s %s", i, results[i].ID, results[i].State, errs[i], results[0].ID, final)
			}
		}
		if got := e.Count(t, e.svc.table); got != 1 {
			t.Errorf("%s = %d, want 1", e.svc.table, got)
		}
		if got := e.Count(t, e.svc.events); got != len(e.svc.created) {
			t.Errorf("audit rows = %d, want %d (one per state)", got, len(e.svc.created))
		}
	})
}

func TestCreateFaultsIgnoredWhenDisabled(t *testing.T) {
	eachEnv(t, ledger.Config{FaultsEnabled: false}, func(t *testing.T, e *env) {
		for range 2 {
			dtid := ids.NewDTID()
			ctx, _ := e.Hop(t, dtid)
			made, err := e.client.create(faults.WithPlan(ctx, string(e.svc.faultCreate)+"=error"), ids.IdempotencyKey(dtid, e.svc.name), e.svc.request(dtid))
			if want := e.svc.created[len(e.svc.created)-1]; err != nil || made.State != want {
				t.Fatalf("create = %+v, %v; want %s", made, err, want)
			}
		}
		if n := strings.Count(e.Logs(), "fault injection is disabled"); n != 1 {
			t.Errorf("warnings = %d, want exactly 1 per server:\n%s", n, e.Logs())
		}
	})
}

// Each fault kind, as a saga's retries meet it: the attempt number comes
// from the caller, and however often the create is sent, one entity is
// made.
func TestCreateFaultKinds(t *testing.T) {
	eachService(t, func(t *testing.T, svc service, backend dbtest.Backend) {
		tests := []struct {
			name       string
			fault      string
			deadline   time.Duration // of each attempt's context; 0: none
			wantStatus []int         // per attempt, with one Idempotency-Key; 0: success, -1: the caller gave up
			wantRows   int           // entities of the DTID at the end
			minTime    time.Duration // the whole exchange takes at least this
		}{
			{name: "transient_fails_first_n_attempts", fault: "transient:2", wantStatus: []int{503, 503, 0}, wantRows: 1},
			{name: "crash_after_commit_then_replay", fault: "crash-after-commit", wantStatus: []int{500, 0, 0}, wantRows: 1},
			{name: "latency_delays_every_attempt", fault: "latency:50ms", wantStatus: []int{0, 0}, wantRows: 1, minTime: 100 * time.Millisecond},
			{name: "timeout_writes_nothing", fault: "timeout", deadline: 100 * time.Millisecond, wantStatus: []int{-1, -1}, wantRows: 0},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				e := newEnv(t, svc, backend, ledger.Config{FaultsEnabled: true})
				dtid := ids.NewDTID()
				key := ids.IdempotencyKey(dtid, svc.name)
				start := time.Now()
				var made []string
				for i, want := range tt.wantStatus {
					ctx, _ := e.Hop(t, dtid)
					ctx = faults.WithAttempt(faults.WithPlan(ctx, string(svc.faultCreate)+"="+tt.fault), i+1)
					if tt.deadline > 0 {
						var cancel context.CancelFunc
						ctx, cancel = context.WithTimeout(ctx, tt.deadline)
						defer cancel()
					}
					got, err := e.client.create(ctx, key, e.svc.request(dtid))
					switch want {
					case 0:
						if final := svc.created[len(svc.created)-1]; err != nil || got.State != final {
							t.Fatalf("attempt %d: %+v, %v; want %s", i+1, got, err, final)
						}
						made = append(made, got.ID)
					case -1:
						if !errors.Is(err, context.DeadlineExceeded) {
							t.Fatalf("attempt %d: err = %v, want the caller's deadline", i+1, err)
						}
					default:
						var pe *httpapi.ProblemError
						if !errors.As(err, &pe) || pe.Status != want || !pe.Retryable() {
							t.Fatalf("attempt %d: err = %v, want a retryable %d", i+1, err, want)
						}
					}
				}
				if took := time.Since(start); took < tt.minTime {
					t.Errorf("took %s, want at least %s", took, tt.minTime)
				}
				for _, id := range made {
					if id != made[0] {
						t.Errorf("answers name %v, want one", made)
					}
				}
				page, err := e.client.list(context.Background(), httpapi.ListQuery{DTID: dtid})
				if err != nil || len(page.Items) != tt.wantRows || (tt.wantRows == 1 && page.Items[0].ID != made[0]) {
					t.Fatalf("%s of the DTID = %+v, %v; want %d, the one answered (%v)", svc.table, page.Items, err, tt.wantRows, made)
				}
				if tt.wantRows == 1 {
					if rows := e.events(t, made[0]); len(rows) != len(svc.created) {
						t.Errorf("audit rows = %v, want those of the creating request", rows)
					}
				}
			})
		}
	})
}

// A transient fault without the attempt number cannot be applied: the
// request is refused as malformed instead of guessing.
func TestTransientFaultNeedsTheAttempt(t *testing.T) {
	eachEnv(t, ledger.Config{FaultsEnabled: true}, func(t *testing.T, e *env) {
		dtid := ids.NewDTID()
		ctx, _ := e.Hop(t, dtid)
		_, err := e.client.create(faults.WithPlan(ctx, string(e.svc.faultCreate)+"=transient:1"), ids.IdempotencyKey(dtid, e.svc.name), e.svc.request(dtid))
		var pe *httpapi.ProblemError
		if !errors.As(err, &pe) || pe.Status != 400 || pe.Type != httpapi.TypeInvalidFaults {
			t.Fatalf("err = %v, want 400 %s", err, httpapi.TypeInvalidFaults)
		}
	})
}

// A fault plan counts only with faults:inject, even on a server with
// faults enabled; without it the create runs as if there were no plan,
// and the server says why once.
func TestFaultsNeedTheFaultsInjectScope(t *testing.T) {
	eachEnv(t, ledger.Config{FaultsEnabled: true}, func(t *testing.T, e *env) {
		scoped := func(scopes ...string) string {
			return servicetest.Bearer(t, auth.Grant{Subject: "tester", Audience: []string{e.svc.audience}, Scopes: scopes})
		}
		final := `"state":"` + e.svc.created[len(e.svc.created)-1] + `"`
		tests := []struct {
			name       string
			auth       string
			wantStatus int
			want       string
		}{
			{name: "without_faults_inject_the_plan_is_ignored", auth: scoped(e.svc.write), wantStatus: 201, want: final},
			{name: "again_without_warning_twice", auth: scoped(e.svc.write), wantStatus: 201, want: final},
			{name: "with_faults_inject_the_create_is_refused", auth: scoped(e.svc.write, auth.ScopeFaultsInject), wantStatus: 422, want: e.svc.refusedType},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				dtid := ids.NewDTID()
				h := servicetest.JSONHeaders(ids.IdempotencyKey(dtid, e.svc.name))
				h["Authorization"] = tt.auth
				h[ids.HeaderFaults] = string(e.svc.faultCreate) + "=error"
				status, _, answer := e.Raw(t, http.MethodPost, e.path(), h, e.body(t, dtid))
				if status != tt.wantStatus || !strings.Contains(answer, tt.want) {
					t.Errorf("%d %s, want %d with %s", status, answer, tt.wantStatus, tt.want)
				}
			})
		}
		if n := strings.Count(e.Logs(), "lacks the faults:inject scope"); n != 1 {
			t.Errorf("warnings = %d, want 1:\n%s", n, e.Logs())
		}
	})
}
