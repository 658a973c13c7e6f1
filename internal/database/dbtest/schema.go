package dbtest

import (
	"database/sql"
	"flag"
	"os"
	"regexp"
	"strings"
	"testing"
)

// schemaQueries list every table, column, constraint and index of a
// database but schema_migrations, one per row, per backend name.
var schemaQueries = map[string]string{
	"sqlite": `SELECT type || ' ' || name || ': ' || COALESCE(sql, '') FROM sqlite_master
			WHERE name NOT LIKE 'sqlite_%' AND tbl_name <> 'schema_migrations'`,
	"postgres": `SELECT 'column ' || table_name || '.' || column_name || ': ' || data_type || ' null=' || is_nullable ||
				' default=' || COALESCE(column_default, '') || ' collation=' || COALESCE(collation_name, '') ||
				' identity=' || is_identity || ' ' || COALESCE(identity_generation, '') || ' at=' || ordinal_position
			FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> 'schema_migrations'
			UNION ALL
			SELECT 'constraint ' || conrelid::regclass || ' ' || conname || ': ' || pg_get_constraintdef(oid)
			FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND conrelid <> 'schema_migrations'::regclass
			UNION ALL
			SELECT 'index ' || indexname || ': ' || indexdef FROM pg_indexes
			WHERE schemaname = 'public' AND tablename <> 'schema_migrations'`,
}

var (
	sqlComment = regexp.MustCompile(`--[^\n]*`)
	space      = regexp.MustCompile(`\s+`)
)

// Schema lists every table, column, constraint, index and trigger of db, a
// database of b, but schema_migrations, one per line, sorted, in a form
// that ignores layout and comments. A test holds a fresh database's Schema
// to a golden file written from the migrations an older build ran: a
// database that build migrated never runs those versions again, so a new
// build's migrations must make the same schema, to the name of every index.
func (b Backend) Schema(t testing.TB, db *sql.DB) string {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), `SELECT * FROM (`+schemaQueries[b.Name]+`) AS s ORDER BY 1`)
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

// update is the -update flag of every test binary that imports dbtest.
var update = flag.Bool("update", false, "rewrite the golden files (dbtest.Golden) from what the tests get now")

// Golden fails t unless got, the Schema of fresh databases, is the content
// of the golden file at path; with -update it rewrites the file first. A
// new migration adds to the golden file (go test -run <the test> -update),
// and its diff is what review reads; it never changes a line already there.
func Golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("a fresh database's schema differs from %s:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}
