package database

import (
	"context"
	"database/sql"
	"os"
	"testing"

	"github.com/sagatrace/sagatrace/internal/database/dbtest"
)

// backends runs the tests on SQLite and on PostgreSQL; its cluster starts
// with the first PostgreSQL subtest.
var backends dbtest.Backends

func TestMain(m *testing.M) { os.Exit(backends.Run(m)) }

// eachDB runs test once per backend, on a fresh database of it.
func eachDB(t *testing.T, test func(t *testing.T, db *sql.DB)) {
	t.Helper()
	backends.Each(t, func(t *testing.T, backend dbtest.Backend) {
		test(t, openURL(t, backend.URL(t)))
	})
}

// openURL opens dbURL for the test and closes it when the test ends.
func openURL(t *testing.T, dbURL string) *sql.DB {
	t.Helper()
	db, err := Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}
