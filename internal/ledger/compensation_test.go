package ledger_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/sagatrace/sagatrace/internal/database/dbtest"
	"github.com/sagatrace/sagatrace/internal/faults"
	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/ledger"
)

// The compensation moves a created entity once, with the correlation ID
// of the hop that moved it; again, it changes nothing. Unavailable, it
// writes nothing and says to retry.
func TestCompensation(t *testing.T) {
	eachService(t, func(t *testing.T, svc service, backend dbtest.Backend) {
		tests := []struct {
			name       string
			faults     string
			wantStatus int  // 0: success
			wantMoved  bool // the compensated row is written
		}{
			{name: "created_is_compensated_once", wantMoved: true},
			{name: "unavailable_writes_nothing", faults: string(svc.faultCompensate) + "=error", wantStatus: 503},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				e := newEnv(t, svc, backend, ledger.Config{FaultsEnabled: true})
				dtid := ids.NewDTID()
				made, _, createTrace := e.createOne(t, dtid)
				var undoTrace string
				for attempt := range 2 { // compensating again changes nothing
					ctx, traceID := e.Hop(t, dtid)
					if attempt == 0 {
						undoTrace = traceID
					}
					got, err := e.client.compensate(faults.WithPlan(ctx, tt.faults), ids.IdempotencyKey(dtid, svc.name+"."+svc.compensation), made.ID)
					if tt.wantStatus != 0 {
						var pe *httpapi.ProblemError
						if !errors.As(err, &pe) || pe.Status != tt.wantStatus || pe.Type != svc.unavailable || !pe.Retryable() {
							t.Fatalf("attempt %d: err = %v, want retryable %d %s", attempt+1, err, tt.wantStatus, svc.unavailable)
						}
						continue
					}
					if err != nil || got.State != svc.compensated {
						t.Fatalf("attempt %d: %+v, %v", attempt+1, got, err)
					}
					if last := got.History[len(got.History)-1]; last.CorrelationID != undoTrace {
						t.Errorf("attempt %d: the %s row carries %s, want the first compensating hop's %s", attempt+1, svc.compensated, last.CorrelationID, undoTrace)
					}
				}
				var want []event
				for _, s := range svc.created {
					want = append(want, event{dtid, s, createTrace})
				}
				if tt.wantMoved {
					want = append(want, event{dtid, svc.compensated, undoTrace})
				}
				if got := e.events(t, made.ID); !slices.Equal(got, want) {
					t.Errorf("audit rows = %v\nwant       %v", got, want)
				}
			})
		}
	})
}

// The compensation that changed the entity crashes; its retry finds it
// compensated, with one row for the change.
func TestCompensationCrashAfterCommit(t *testing.T) {
	eachEnv(t, ledger.Config{FaultsEnabled: true}, func(t *testing.T, e *env) {
		dtid := ids.NewDTID()
		made, ctx, _ := e.createOne(t, dtid)
		key := ids.IdempotencyKey(dtid, e.svc.name+"."+e.svc.compensation)
		ctx = faults.WithPlan(ctx, string(e.svc.faultCompensate)+"=crash-after-commit")
		_, err := e.client.compensate(ctx, key, made.ID)
		var pe *httpapi.ProblemError
		if !errors.As(err, &pe) || pe.Status != 500 {
			t.Fatalf("first %s: err = %v, want 500", e.svc.compensation, err)
		}
		again, err := e.client.compensate(ctx, key, made.ID)
		if err != nil || again.State != e.svc.compensated {
			t.Fatalf("retried %s = %+v, %v; want %s", e.svc.compensation, again, err, e.svc.compensated)
		}
		if got, want := statesOf(again.History), append(slices.Clone(e.svc.created), e.svc.compensated); !slices.Equal(got, want) {
			t.Errorf("history = %v, want %v", got, want)
		}
	})
}

func TestUnknownEntityIsNotFound(t *testing.T) {
	eachEnv(t, ledger.Config{}, func(t *testing.T, e *env) {
		ctx, _ := e.Hop(t, ids.NewDTID())
		missing := ids.NewUUID()
		for name, call := range map[string]func() error{
			e.svc.compensation: func() error { _, err := e.client.compensate(ctx, "k-1", missing); return err },
			"get":              func() error { _, err := e.client.get(ctx, missing); return err },
		} {
			var pe *httpapi.ProblemError
			if err := call(); !errors.As(err, &pe) || pe.Status != 404 || pe.Type != e.svc.notFound {
				t.Errorf("%s: err = %v, want 404 %s", name, err, e.svc.notFound)
			}
		}
		if n := e.Count(t, e.svc.events); n != 0 {
			t.Errorf("%d rows written", n)
		}
	})
}

func TestCompensationRequiresIdempotencyKey(t *testing.T) {
	eachEnv(t, ledger.Config{}, func(t *testing.T, e *env) {
		if status, _, body := e.Raw(t, "POST", e.path(ids.NewUUID(), e.svc.compensation), nil, ""); status != 400 {
			t.Errorf("status %d, want 400: %s", status, body)
		}
	})
}
