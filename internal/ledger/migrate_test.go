package ledger_test

import (
	"database/sql"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sagatrace/sagatrace/internal/database"
	"github.com/sagatrace/sagatrace/internal/database/dbtest"
	"github.com/sagatrace/sagatrace/internal/ledger"
)

var update = flag.Bool("update", false, "rewrite testdata/schema.golden from the schemas the migrations make now")

// TestMigrationsMakeTheSchemaOfRecord holds the schema a fresh database
// gets to testdata/schema.golden, which was first written from the
// migration files the services had before the ledger made their tables.
// A database migrated by an older build has those tables already and
// never runs the ledger's version again, so a fresh database must end up
// the same, to the column, constraint and index name, or the next
// migration would meet two different schemas. A new migration adds to the
// golden file (go test -run TestMigrationsMakeTheSchemaOfRecord -update),
// and its diff is what review reads; it never changes a line already there.
func TestMigrationsMakeTheSchemaOfRecord(t *testing.T) {
	var got strings.Builder
	for _, s := range services {
		backends.Each(t, func(t *testing.T, backend dbtest.Backend) {
			e := newEnv(t, s, backend, ledger.Config{})
			fmt.Fprintf(&got, "== %s on %s\n%s", s.name, backend.Name, dumpSchema(t, e.DB))
		})
	}
	golden := filepath.Join("testdata", "schema.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got.String() != string(want) {
		t.Errorf("a fresh database's schema differs from %s:\n--- got\n%s\n--- want\n%s", golden, got.String(), want)
	}
}

var (
	sqlComment = regexp.MustCompile(`--[^\n]*`)
	space      = regexp.MustCompile(`\s+`)
)

// dumpSchema lists every table, column, constraint and index of db but
// schema_migrations, one per line, sorted, in a form that ignores layout
// and comments.
func dumpSchema(t *testing.T, db *sql.DB) string {
	t.Helper()
	query := map[database.Dialect]string{
		database.SQLite: `SELECT type || ' ' || name || ': ' || COALESCE(sql, '') FROM sqlite_master
			WHERE name NOT LIKE 'sqlite_%' AND tbl_name <> 'schema_migrations'`,
		database.Postgres: `SELECT 'column ' || table_name || '.' || column_name || ': ' || data_type || ' null=' || is_nullable ||
				' default=' || COALESCE(column_default, '') || ' collation=' || COALESCE(collation_name, '') ||
				' identity=' || is_identity || ' ' || COALESCE(identity_generation, '') || ' at=' || ordinal_position
			FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> 'schema_migrations'
			UNION ALL
			SELECT 'constraint ' || conrelid::regclass || ' ' || conname || ': ' || pg_get_constraintdef(oid)
			FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND conrelid <> 'schema_migrations'::regclass
			UNION ALL
			SELECT 'index ' || indexname || ': ' || indexdef FROM pg_indexes
			WHERE schemaname = 'public' AND tablename <> 'schema_migrations'`,
	}[database.DialectOf(db)]
	rows, err := db.Query(`SELECT * FROM (` + query + `) AS s ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out strings.Builder
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		line = space.ReplaceAllString(sqlComment.ReplaceAllString(line, ""), " ")
		line = strings.NewReplacer("( ", "(", " )", ")", " ,", ",").Replace(line)
		out.WriteString(strings.TrimSpace(line) + "\n")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}
