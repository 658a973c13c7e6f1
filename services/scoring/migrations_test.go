package scoring

import (
	"database/sql"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"testing/fstest"

	"go.opentelemetry.io/otel/trace/noop"

	"github.com/sagatrace/sagatrace/internal/database"
	"github.com/sagatrace/sagatrace/internal/database/dbtest"
)

// TestMigrationsMakeTheSchemaOfRecord holds the schema a fresh database
// gets to testdata/schema.golden, which was first written from the
// migration files scoring had before migrations.go declared its tables. A
// database an older build migrated has them already and never runs those
// versions again, so a fresh one must end up the same, to the name of
// every index and trigger (dbtest.Golden says how a new migration updates
// the file).
func TestMigrationsMakeTheSchemaOfRecord(t *testing.T) {
	var got string
	backends.Each(t, func(t *testing.T, backend dbtest.Backend) {
		got += "== " + backend.Name + "\n" + backend.Schema(t, openStore(t, backend.URL(t)).db)
	})
	dbtest.Golden(t, filepath.Join("testdata", "schema.golden"), got)
}

// filesCommit is the last commit whose scoring schema was migration files
// (migrations/<dialect>/NNNN_name.sql) rather than migrations.go.
const filesCommit = "bbcdfbc37c48f24dadec10da2777c24a51f992ed"

// migrationFiles reads the migration files of filesCommit from git, as a
// migrations directory for database.Migrate. Without the repository's
// history (an exported tree, a shallow clone) the test is skipped.
func migrationFiles(t *testing.T) fstest.MapFS {
	t.Helper()
	fsys := fstest.MapFS{}
	for _, dialect := range []database.Dialect{database.SQLite, database.Postgres} {
		for _, name := range []string{"0001_scores.sql", "0002_poison.sql"} {
			path := "migrations/" + string(dialect) + "/" + name
			body, err := exec.CommandContext(t.Context(), "git", "show", filesCommit+":./"+path).Output()
			if err != nil {
				t.Skipf("git show %s:%s: %v: needs the repository's history", filesCommit[:7], path, err)
			}
			fsys[path[len("migrations/"):]] = &fstest.MapFile{Data: body}
		}
	}
	return fsys
}

// migrationRows lists scoring's schema_migrations rows, applied_at included:
// a version run again would have a new row time.
func migrationRows(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), `SELECT version, name, applied_at FROM schema_migrations WHERE component = 'scoring' ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var version, name, at string
		if err := rows.Scan(&version, &name, &at); err != nil {
			t.Fatal(err)
		}
		out = append(out, version+":"+name+"@"+at)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// A database migrated by the migration files of an older build, with
// scores in it, opens under this build: no version runs again, the rows
// are kept, and its schema is the one a fresh database gets.
func TestStoreOpensADatabaseTheMigrationFilesMade(t *testing.T) {
	old := migrationFiles(t)
	backends.Each(t, func(t *testing.T, backend dbtest.Backend) {
		ctx := t.Context()
		db := openDB(t, backend.URL(t))
		if err := database.Migrate(ctx, db, old, "scoring"); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{
			`INSERT INTO scores (profile_id, score, events, last_dtid, updated_at) VALUES ('p-1', 42, 3, 'd-1', '2026-01-01T00:00:00Z')`,
			`INSERT INTO scoring_offsets (partition_id, stream_seq, updated_at) VALUES (0, 7, '2026-01-01T00:00:00Z')`,
		} {
			if _, err := db.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		before := migrationRows(t, db)
		if want := 2; len(before) != want {
			t.Fatalf("the files applied %v, want %d versions", before, want)
		}

		store, err := NewStore(ctx, db, noop.NewTracerProvider())
		if err != nil {
			t.Fatalf("NewStore on the files' database: %v", err)
		}
		if after := migrationRows(t, db); !slices.Equal(after, before) {
			t.Errorf("schema_migrations = %v after NewStore, want %v unchanged", after, before)
		}
		if sc, err := store.Score(ctx, "p-1"); err != nil || sc.Score != 42 || sc.Events != 3 {
			t.Errorf("Score(p-1) = %+v, %v; want the row the old build wrote", sc, err)
		}
		if off, err := store.Offset(ctx, 0); err != nil || off != 7 {
			t.Errorf("Offset(0) = %d, %v; want 7", off, err)
		}
		fresh := openStore(t, backend.URL(t))
		if got, want := backend.Schema(t, db), backend.Schema(t, fresh.db); got != want {
			t.Errorf("schema the files made:\n%s\nschema a fresh database gets:\n%s", got, want)
		}
	})
}
