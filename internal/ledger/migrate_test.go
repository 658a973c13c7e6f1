package ledger_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
			fmt.Fprintf(&got, "== %s on %s\n%s", s.name, backend.Name, backend.Schema(t, e.DB))
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
