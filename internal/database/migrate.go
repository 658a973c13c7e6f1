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

// Migrate applies the NNNN_name.sql files at the root of fsys that the
// component has not applied yet, in version order, each in its own
// transaction together with its schema_migrations row. A failed file leaves
// the schema at the previous version. Running it again is a no-op, so every
// component can migrate at start-up. Several components share one
// schema_migrations table, told apart by component.
func Migrate(ctx context.Context, db *sql.DB, fsys fs.FS, component string) error {
	if component == "" {
		return errors.New("migrate: component is empty")
	}
	migrations, err := readMigrations(fsys)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", component, err)
	}
	if _, err := db.ExecContext(ctx, createMigrationsTable); err != nil {
		return fmt.Errorf("migrate %s: create schema_migrations: %w", component, err)
	}
	for _, m := range migrations {
		if err := apply(ctx, db, component, m); err != nil {
			return fmt.Errorf("migrate %s: %04d_%s: %w", component, m.version, m.name, err)
		}
	}
	return nil
}

// apply checks and applies one migration in one transaction. The check is
// inside the transaction, which takes the write lock at BEGIN, so two
// processes migrating the same file at once apply each version once.
func apply(ctx context.Context, db *sql.DB, component string, m migration) error {
	return InTx(ctx, db, func(tx *sql.Tx) error {
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
			`INSERT INTO schema_migrations (component, version, name, applied_at) VALUES ($1, $2, $3, CURRENT_TIMESTAMP)`,
			component, m.version, m.name)
		if err != nil {
			return fmt.Errorf("record version: %w", err)
		}
		return nil
	})
}

// readMigrations lists the .sql files at the root of fsys. A .sql file with
// a malformed name, or two files with one version, is an error rather than
// silently skipped: either would leave a schema different from the code's.
func readMigrations(fsys fs.FS) ([]migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
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
			return nil, fmt.Errorf("migration file %q is not named NNNN_name.sql", e.Name())
		}
		version, _ := strconv.Atoi(parts[1]) // four digits: cannot fail
		if prev, dup := seen[version]; dup {
			return nil, fmt.Errorf("migration files %q and %q share version %d", prev, e.Name(), version)
		}
		seen[version] = e.Name()
		body, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", e.Name(), err)
		}
		out = append(out, migration{version: version, name: parts[2], sql: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}
