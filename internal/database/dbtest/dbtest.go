// Package dbtest runs the store tests on every database sagatrace
// supports: a SQLite file, and a database of a throwaway PostgreSQL
// cluster that the test process starts itself (Cluster). It does not
// import internal/database, so that package's own tests can use it.
package dbtest

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// Backends hands out fresh databases of each kind. A test package keeps
// one in its TestMain, so the PostgreSQL cluster is started once, on the
// first test that asks for it, and stopped when the package's tests end:
//
//	var backends dbtest.Backends
//
//	func TestMain(m *testing.M) { os.Exit(backends.Run(m)) }
type Backends struct {
	pg Cluster
}

// Backend is one kind of database the tests run on.
type Backend struct {
	Name   string // "sqlite" or "postgres", the subtest's name
	newURL func(t testing.TB) string
}

// URL makes a fresh, empty database for t and returns its URL, for
// database.Open: a file in t's temporary directory, or a database of its
// own in the cluster, dropped when t ends. Every call makes another, so
// tests and the cases of a table never see each other's rows.
func (b Backend) URL(t testing.TB) string {
	t.Helper()
	return b.newURL(t)
}

// Each runs test once per backend, as the subtests "sqlite" and
// "postgres". Run one backend alone with -run 'TestX/sqlite'.
func (b *Backends) Each(t *testing.T, test func(t *testing.T, backend Backend)) {
	t.Helper()
	for _, backend := range []Backend{
		{Name: "sqlite", newURL: func(t testing.TB) string { return filepath.Join(t.TempDir(), "test.db") }},
		{Name: "postgres", newURL: b.pg.NewDatabase},
	} {
		t.Run(backend.Name, func(t *testing.T) { test(t, backend) })
	}
}

// Run runs the package's tests, then stops the cluster if one was started;
// its result is TestMain's exit code.
func (b *Backends) Run(m *testing.M) int {
	code := m.Run()
	if err := b.pg.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "dbtest:", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}
