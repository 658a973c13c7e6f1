package ledger_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sagatrace/sagatrace/internal/database/dbtest"
	"github.com/sagatrace/sagatrace/internal/ledger"
)

// TestMigrationsMakeTheSchemaOfRecord holds the schema a fresh database
// gets to testdata/schema.golden, which was first written from the
// migration files the services had before the ledger made their tables.
// A database migrated by an older build has those tables already and
// never runs the ledger's version again, so a fresh database must end up
// the same, to the column, constraint and index name, or the next
// migration would meet two different schemas.
func TestMigrationsMakeTheSchemaOfRecord(t *testing.T) {
	var got strings.Builder
	for _, s := range services {
		backends.Each(t, func(t *testing.T, backend dbtest.Backend) {
			e := newEnv(t, s, backend, ledger.Config{})
			fmt.Fprintf(&got, "== %s on %s\n%s", s.name, backend.Name, backend.Schema(t, e.DB))
		})
	}
	dbtest.Golden(t, filepath.Join("testdata", "schema.golden"), got.String())
}
