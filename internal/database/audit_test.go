package database

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"testing"
	"time"
)

func TestAuditTableRoundTrip(t *testing.T) {
	eachDB(t, func(t *testing.T, db *sql.DB) {
		createThings(t, db)
		ctx := context.Background()
		audit := AuditTable{Name: "thing_events", Ref: "thing"}
		at := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
		err := InTx(ctx, db, func(tx *sql.Tx) error {
			for i, dtid := range []string{"d-1", "d-2"} {
				if _, err := tx.ExecContext(ctx, `INSERT INTO things (id, thing_id, dtid) VALUES ($1, $2, $3)`, i+1, fmt.Sprint("t-", i+1), dtid); err != nil {
					return err
				}
			}
			for _, r := range []struct {
				ref   int64
				state string
			}{{1, "stored"}, {2, "stored"}, {1, "completed"}} {
				if err := audit.Insert(ctx, tx, r.ref, "d", AuditRow{State: r.state, CorrelationID: "c-" + r.state, At: at}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name     string
			localIDs []int64
			refs     string
			args     []any
			want     []string // index in localIDs, state, correlation ID
		}{
			{name: "one_entity_oldest_first", localIDs: []int64{1}, refs: "$1", args: []any{1}, want: []string{"0 stored c-stored", "0 completed c-completed"}},
			{name: "rows_go_to_their_entity", localIDs: []int64{2, 1}, refs: `SELECT id FROM things`, want: []string{"1 stored c-stored", "0 stored c-stored", "1 completed c-completed"}},
			{name: "extra_entity_skipped", localIDs: []int64{2}, refs: `SELECT id FROM things`, want: []string{"0 stored c-stored"}},
			{name: "none", localIDs: []int64{9}, refs: "$1", args: []any{9}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var got []string
				err := audit.Load(ctx, db, tt.localIDs, tt.refs, tt.args, func(i int, row AuditRow) {
					if !row.At.Equal(at) {
						t.Errorf("row at %v, want %v", row.At, at)
					}
					got = append(got, fmt.Sprint(i, " ", row.State, " ", row.CorrelationID))
				})
				if err != nil || !slices.Equal(got, tt.want) {
					t.Errorf("Load = %v, %v; want %v", got, err, tt.want)
				}
			})
		}
	})
}
