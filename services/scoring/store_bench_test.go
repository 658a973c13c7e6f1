package scoring

import (
	"fmt"
	"path/filepath"
	"testing"

	"go.opentelemetry.io/otel/trace/noop"

	"github.com/sagatrace/sagatrace/internal/database"
	"github.com/sagatrace/sagatrace/internal/database/dbtest"
)

// BenchmarkCommitBatch writes batches of 5,000 and of 50 distinct
// profiles (half of them new rows, half updates) to SQLite and PostgreSQL
// and reports rows/s: the store's share of the engine's throughput. Small
// batches are what a quiet partition writes; there the cost per commit
// (SQLite's sync, PostgreSQL's round trips) dominates.
func BenchmarkCommitBatch(b *testing.B) {
	var pg dbtest.Cluster
	b.Cleanup(func() { _ = pg.Stop() })
	for _, backend := range []struct {
		name string
		url  func() string
	}{
		{"sqlite_synchronous_full", func() string { return filepath.Join(b.TempDir(), "bench.db") }},
		{"sqlite", func() string { return DatabaseURL(filepath.Join(b.TempDir(), "bench.db")) }},
		{"postgres", func() string { return pg.NewDatabase(b) }},
	} {
		for _, rows := range []int{5_000, 50} {
			b.Run(fmt.Sprintf("%s/rows=%d", backend.name, rows), func(b *testing.B) {
				db, err := database.Open(b.Context(), backend.url())
				if err != nil {
					b.Fatal(err)
				}
				defer db.Close()
				store, err := NewStore(b.Context(), db, noop.NewTracerProvider())
				if err != nil {
					b.Fatal(err)
				}
				var after uint64
				written := 0
				for i := 0; b.Loop(); i++ {
					batch := &Batch{After: after, FirstSeq: after + 1, LastSeq: after + uint64(rows), Events: rows, Deltas: make(map[string]Delta, rows)}
					for j := range rows {
						// Every other batch moves half its profiles on: new rows.
						batch.Deltas[fmt.Sprintf("p-%d", j+(i%2)*rows/2)] = Delta{Score: 1, Events: 1, LastDTID: "d"}
					}
					if err := store.CommitBatch(b.Context(), batch); err != nil {
						b.Fatal(err)
					}
					after = batch.LastSeq
					written += rows
				}
				b.ReportMetric(float64(written)/b.Elapsed().Seconds(), "rows/s")
			})
		}
	}
}

func TestDatabaseURLAddsSynchronousNormalToSQLiteOnly(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"path", "scoring.db", "scoring.db?_pragma=synchronous(NORMAL)"},
		{"uri_with_query", "file:s.db?mode=rwc", "file:s.db?mode=rwc&_pragma=synchronous(NORMAL)"},
		{"operator_choice_kept", "s.db?_pragma=synchronous(FULL)", "s.db?_pragma=synchronous(FULL)"},
		{"postgres_untouched", "postgres://u@h/db", "postgres://u@h/db"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DatabaseURL(tt.in); got != tt.want {
				t.Errorf("DatabaseURL(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestDatabaseURLReachesSQLite(t *testing.T) {
	db, err := database.Open(t.Context(), DatabaseURL(filepath.Join(t.TempDir(), "s.db")))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var mode int
	if err := db.QueryRowContext(t.Context(), `PRAGMA synchronous`).Scan(&mode); err != nil || mode != 1 {
		t.Errorf("PRAGMA synchronous = %d (%v), want 1 (NORMAL)", mode, err)
	}
}
