package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/sagatrace/sagatrace/internal/database/dbtest"
	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/ledger"
	"github.com/sagatrace/sagatrace/internal/servicetest"
)

// wantVoided fails t unless err is the 409 dtid-voided refusal.
func wantVoided(t *testing.T, what string, err error) {
	t.Helper()
	var pe *httpapi.ProblemError
	if !errors.As(err, &pe) || pe.Status != 409 || pe.Type != ledger.TypeDTIDVoided || pe.Retryable() {
		t.Fatalf("%s: err = %v, want a final 409 %s", what, err, ledger.TypeDTIDVoided)
	}
}

// A create that arrives after the compensation of its DTID — a late
// retry, another key, a replay of the original key — is refused and
// writes nothing, however the DTID was compensated.
func TestVoidedDTIDTakesNoCreate(t *testing.T) {
	eachService(t, func(t *testing.T, svc service, backend dbtest.Backend) {
		tests := []struct {
			name       string
			created    bool // an entity exists before the compensation
			compensate func(e *env, ctx context.Context, dtid, id string) error
		}{
			{name: "compensated_by_id", created: true, compensate: func(e *env, ctx context.Context, dtid, id string) error {
				_, err := e.client.compensate(ctx, ids.IdempotencyKey(dtid, "undo"), id)
				return err
			}},
			{name: "compensated_by_dtid", created: true, compensate: func(e *env, ctx context.Context, dtid, _ string) error {
				got, err := e.client.compensateDTID(ctx, ids.IdempotencyKey(dtid, "undo"), dtid)
				if err == nil && (len(got) != 1 || got[0].State != svc.compensated) {
					err = fmt.Errorf("compensated %+v, want the one entity %s", got, svc.compensated)
				}
				return err
			}},
			{name: "voided_before_any_create", compensate: func(e *env, ctx context.Context, dtid, _ string) error {
				got, err := e.client.compensateDTID(ctx, ids.IdempotencyKey(dtid, "undo"), dtid)
				if err == nil && len(got) != 0 {
					err = fmt.Errorf("compensated %+v of a DTID that has nothing", got)
				}
				return err
			}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				e := newEnv(t, svc, backend, ledger.Config{})
				dtid := ids.NewDTID()
				ctx, _ := e.Hop(t, dtid)
				key := ids.IdempotencyKey(dtid, svc.name)
				var id string
				if tt.created {
					made, err := e.client.create(ctx, key, e.svc.request(dtid))
					if err != nil {
						t.Fatal(err)
					}
					id = made.ID
				}
				if err := tt.compensate(e, ctx, dtid, id); err != nil {
					t.Fatal(err)
				}
				before := e.Count(t, svc.table)
				for _, k := range []string{key, ids.IdempotencyKey(dtid, "late"), ids.IdempotencyKey(dtid, "late")} {
					_, err := e.client.create(ctx, k, e.svc.request(dtid))
					wantVoided(t, "create with key "+k, err)
				}
				if after := e.Count(t, svc.table); after != before {
					t.Errorf("%s rows: %d before the late creates, %d after; a refused create writes nothing", svc.table, before, after)
				}
				if id != "" {
					got, err := e.client.get(ctx, id)
					if err != nil || got.State != svc.compensated {
						t.Errorf("the compensated entity is %+v (%v), want it %s", got, err, svc.compensated)
					}
				}
			})
		}
	})
}

// Creates racing the compensation of their DTID: whatever the order in
// which they reach the database, no entity of a compensated DTID is left
// uncompensated — it was compensated, or never written.
func TestCreateRacingVoidLeavesNothingLive(t *testing.T) {
	eachEnv(t, ledger.Config{}, func(t *testing.T, e *env) {
		const dtids, creates = 12, 3
		for i := range dtids {
			dtid := ids.NewDTID()
			ctx, _ := e.Hop(t, dtid)
			errs := make([]error, creates+1)
			servicetest.AtOnce(creates+1, func(j int) {
				if j == creates {
					_, errs[j] = e.client.compensateDTID(ctx, ids.IdempotencyKey(dtid, "undo"), dtid)
					return
				}
				_, errs[j] = e.client.create(ctx, ids.IdempotencyKey(dtid, fmt.Sprint("create-", j)), e.svc.request(dtid))
			})
			if errs[creates] != nil {
				t.Fatalf("round %d: compensate dtid: %v", i, errs[creates])
			}
			for j, err := range errs[:creates] {
				var pe *httpapi.ProblemError
				if err != nil && !(errors.As(err, &pe) && pe.Type == ledger.TypeDTIDVoided) {
					t.Errorf("round %d: create %d: %v, want success or %s", i, j, err, ledger.TypeDTIDVoided)
				}
			}
			page, err := e.client.list(ctx, httpapi.ListQuery{DTID: dtid, Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range page.Items {
				if it.State != e.svc.compensated {
					t.Errorf("round %d: %s %s is %s after its DTID was compensated", i, e.svc.name, it.ID, it.State)
				}
			}
		}
	})
}
