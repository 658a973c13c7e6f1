package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// migrationName is NNNN_name.sql: the number orders the files and is what
// schema_migrations records, so renaming a file never re-applies it.
var migrationName = regexp.MustCompile(`^([0-9]{4})_([a-z0-9_]+)\.sql$`)

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	component  TEXT    NOT NULL,
	version    INTEGER NOT NULL,
	name       TEXT    NOT NULL,
	applied_at TEXT    NOT NULL,
	PRIMARY KEY (component, version)
)`

type migration struct {
	version int
	name    string
	sql     string
}

// Migration is a migration written by code rather than read from a file:
// internal/ledger makes the tables every ledger service has from the
// service's schema, so their shape is written once. SQL returns the
// statements for one dialect. Once applied, a Migration is history like a
// file: its SQL for a version never changes.
type Migration struct {
	Version int
	Name    string // as in a file's NNNN_name.sql
	SQL     func(Dialect) string
}

// migrationLock is the key of the PostgreSQL advisory lock Migrate holds
// in each of its transactions ("SAGATRAC" as bytes): one key for every
// component, as they share schema_migrations and migrate only at start-up.
const migrationLock int64 = 0x5341474154524143

// Migrate applies the migrations of db's dialect that the component has
// not applied yet, in version order, each in its own transaction together
// with its schema_migrations row. A failed file leaves the schema at the
// previous version. Running it again is a no-op, so every component can
// migrate at start-up, from several processes at once. Several components
// share one schema_migrations table, told apart by component.
//
// fsys holds a directory per dialect, sqlite/ and postgres/, each with the
// same NNNN_name.sql files. Separate files rather than one portable file
// with rewriting: the schemas differ where it matters (SQLite's INTEGER
// PRIMARY KEY rowid against PostgreSQL's identity columns, collations), and
// each file is then exactly the SQL its database runs. Migrate refuses
// directories that list different files, so a version number means the
// same change on both; the store tests run on both.
//
// made are the component's migrations written by code, applied in version
// order with the files; fsys may be nil when there are no files. A version
// that both a file and made claim is refused.
func Migrate(ctx context.Context, db *sql.DB, fsys fs.FS, component string, made ...Migration) error {
	if component == "" {
		return errors.New("migrate: component is empty")
	}
	d := DialectOf(db)
	migrations, err := collect(fsys, d, made)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", component, err)
	}
	err = InTx(ctx, db, func(tx *sql.Tx) error {
		if err := lockMigrations(ctx, tx, d); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, createMigrationsTable)
		return err
	})
	if err != nil {
		return fmt.Errorf("migrate %s: create schema_migrations: %w", component, err)
	}
	for _, m := range migrations {
		if err := apply(ctx, db, d, component, m); err != nil {
			return fmt.Errorf("migrate %s: %04d_%s: %w", component, m.version, m.name, err)
		}
	}
	return nil
}

// lockMigrations makes the other migrating processes wait until tx ends.
// On SQLite the transaction already took the write lock at BEGIN (Open
// sets _txlock=immediate). PostgreSQL runs transactions side by side: two
// processes would both find a version missing and both apply it, and two
// CREATE TABLE IF NOT EXISTS can collide, so it takes an advisory lock
// that commit or rollback releases.
func lockMigrations(ctx context.Context, tx *sql.Tx, d Dialect) error {
	if d != Postgres {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
		return fmt.Errorf("lock migrations: %w", err)
	}
	return nil
}

// apply checks and applies one migration in one transaction. The check is
// inside the transaction, after lockMigrations, so two processes migrating
// the same file at once apply each version once.
func apply(ctx context.Context, db *sql.DB, d Dialect, component string, m migration) error {
	return InTx(ctx, db, func(tx *sql.Tx) error {
		if err := lockMigrations(ctx, tx, d); err != nil {
			return err
		}
		var applied string
		err := tx.QueryRowContext(ctx,
			`SELECT name FROM schema_migrations WHERE component = $1 AND version = $2`,
			component, m.version).Scan(&applied)
		switch {
		case err == nil && applied == m.name:
			return nil
		case err == nil:
			return fmt.Errorf("version %d was applied as %q; a migration is never renamed or reused", m.version, applied)
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("read schema_migrations: %w", err)
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx,
			`INSERT INTO schema_migrations (component, version, name, applied_at) VALUES ($1, $2, $3, $4)`,
			component, m.version, m.name, FormatTime(time.Now()))
		if err != nil {
			return fmt.Errorf("record version: %w", err)
		}
		return nil
	})
}

// collect returns d's migrations, from the files of fsys and from made,
// in version order.
func collect(fsys fs.FS, d Dialect, made []Migration) ([]migration, error) {
	var all []migration
	if fsys != nil {
		files, err := readMigrations(fsys, d)
		if err != nil {
			return nil, err
		}
		all = files
	}
	for _, m := range made {
		if m.Version < 1 || m.Version > 9999 || !migrationName.MatchString(fmt.Sprintf("%04d_%s.sql", m.Version, m.Name)) {
			return nil, fmt.Errorf("migration %d %q: a version is 1 to 9999 and a name is [a-z0-9_]+", m.Version, m.Name)
		}
		all = append(all, migration{version: m.Version, name: m.Name, sql: m.SQL(d)})
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].version < all[j].version })
	for i := 1; i < len(all); i++ {
		if all[i].version == all[i-1].version {
			return nil, fmt.Errorf("migrations %04d_%s and %04d_%s share version %d",
				all[i-1].version, all[i-1].name, all[i].version, all[i].name, all[i].version)
		}
	}
	return all, nil
}

// readMigrations returns d's migrations from fsys, after checking that
// every dialect's directory lists the same files and that nothing was left
// at the root, where no dialect would find it.
func readMigrations(fsys fs.FS, d Dialect) ([]migration, error) {
	root, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	for _, e := range root {
		if !e.IsDir() && path.Ext(e.Name()) == ".sql" {
			return nil, fmt.Errorf("migration %q is outside the dialect directories %s/ and %s/", e.Name(), SQLite, Postgres)
		}
	}
	var own []migration
	var first string
	for i, dialect := range []Dialect{SQLite, Postgres} {
		ms, err := readDir(fsys, string(dialect))
		if err != nil {
			return nil, err
		}
		files := make([]string, len(ms))
		for j, m := range ms {
			files[j] = fmt.Sprintf("%04d_%s.sql", m.version, m.name)
		}
		listed := strings.Join(files, ", ")
		if i == 0 {
			first = listed
		} else if listed != first {
			return nil, fmt.Errorf("the dialects' migrations differ: %s/ has [%s], %s/ has [%s]", SQLite, first, dialect, listed)
		}
		if dialect == d {
			own = ms
		}
	}
	return own, nil
}

// readDir lists the .sql files of directory dir of fsys. A .sql file with
// a malformed name, or two files with one version, is an error rather than
// silently skipped: either would leave a schema different from the code's.
func readDir(fsys fs.FS, dir string) ([]migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	var out []migration
	seen := map[int]string{}
	for _, e := range entries {
		if e.IsDir() || path.Ext(e.Name()) != ".sql" {
			continue
		}
		parts := migrationName.FindStringSubmatch(e.Name())
		if parts == nil {
			return nil, fmt.Errorf("migration file %s/%s is not named NNNN_name.sql", dir, e.Name())
		}
		version, _ := strconv.Atoi(parts[1]) // four digits: cannot fail
		if prev, dup := seen[version]; dup {
			return nil, fmt.Errorf("migration files %s/%s and %s share version %d", dir, prev, e.Name(), version)
		}
		seen[version] = e.Name()
		body, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read %s/%s: %w", dir, e.Name(), err)
		}
		out = append(out, migration{version: version, name: parts[2], sql: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}
