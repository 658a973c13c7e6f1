package database

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
)

// openThings opens a database with a things table (public id, dtid) and
// its audit trail, the shape every service's store has.
func openThings(t *testing.T) *sql.DB {
	t.Helper()
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "things.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	for _, stmt := range []string{
		`CREATE TABLE things (id INTEGER PRIMARY KEY, thing_id TEXT NOT NULL UNIQUE, dtid TEXT NOT NULL)`,
		`CREATE TABLE thing_events (id INTEGER PRIMARY KEY, thing INTEGER NOT NULL REFERENCES things(id),
			dtid TEXT NOT NULL, state TEXT NOT NULL, correlation_id TEXT NOT NULL, created_at TEXT NOT NULL)`,
	} {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

func TestPageQueryPagesByKeyset(t *testing.T) {
	db := openThings(t)
	ctx := context.Background()
	// t-1..t-5 of d-1 interleaved with t-6, t-7 of d-2.
	for i, dtid := range []string{"d-1", "d-2", "d-1", "d-1", "d-2", "d-1", "d-1"} {
		if _, err := db.ExecContext(ctx, `INSERT INTO things (thing_id, dtid) VALUES ($1, $2)`, fmt.Sprintf("t-%d", i+1), dtid); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		q    PageQuery
		want []string
	}{
		{name: "first_page_fetches_one_extra", q: PageQuery{Limit: 2}, want: []string{"t-1", "t-2", "t-3"}},
		{name: "after_cursor", q: PageQuery{Cursor: "t-5", Limit: 5}, want: []string{"t-6", "t-7"}},
		{name: "of_one_dtid", q: PageQuery{DTID: "d-2", Limit: 5}, want: []string{"t-2", "t-5"}},
		{name: "of_one_dtid_after_cursor", q: PageQuery{DTID: "d-1", Cursor: "t-3", Limit: 1}, want: []string{"t-4", "t-6"}},
		{name: "past_the_end", q: PageQuery{Cursor: "t-7", Limit: 5}, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.q.Table, tt.q.Columns, tt.q.Key = "things", "thing_id", "thing_id"
			query, args := tt.q.SQL()
			rows, err := db.QueryContext(ctx, query, args...)
			if err != nil {
				t.Fatalf("%s: %v", query, err)
			}
			defer rows.Close()
			var got []string
			for rows.Next() {
				var id string
				if err := rows.Scan(&id); err != nil {
					t.Fatal(err)
				}
				got = append(got, id)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("page = %v, want %v", got, tt.want)
			}
		})
	}
}
