package database

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sagatrace/sagatrace/internal/database/dbtest"
)

// Migrations made by code run in version order with the files, each with
// its dialect's SQL, and once.
func TestMigrateAppliesMadeMigrationsAmongTheFiles(t *testing.T) {
	backends.Each(t, func(t *testing.T, backend dbtest.Backend) {
		ctx := context.Background()
		db := openURL(t, backend.URL(t))
		files := portable(map[string]string{"0002_add_note.sql": `ALTER TABLE things ADD COLUMN note TEXT;`})
		made := []Migration{
			{Version: 3, Name: "fill", SQL: func(d Dialect) string {
				return `INSERT INTO things (id, made_by, note) VALUES (1, '` + string(d) + `', 'n');`
			}},
			{Version: 1, Name: "init", SQL: func(Dialect) string {
				return `CREATE TABLE things (id INTEGER PRIMARY KEY, made_by TEXT NOT NULL);`
			}},
		}
		for i := range 2 {
			if err := Migrate(ctx, db, files, "thing", made...); err != nil {
				t.Fatalf("run %d: %v", i+1, err)
			}
		}
		if got := strings.Join(versions(t, db, "thing"), ","); got != "1:init,2:add_note,3:fill" {
			t.Errorf("schema_migrations = %s", got)
		}
		var madeBy string
		if err := db.QueryRow(`SELECT made_by FROM things`).Scan(&madeBy); err != nil || madeBy != string(DialectOf(db)) {
			t.Errorf("made_by = %q (%v), want the %s SQL, applied once", madeBy, err, DialectOf(db))
		}
	})
}

func TestMigrateRefusesBadMadeMigrations(t *testing.T) {
	create := func(Dialect) string { return `CREATE TABLE a (id INTEGER);` }
	tests := []struct {
		name string
		made Migration
		want string
	}{
		{"clashes_with_a_file", Migration{Version: 1, Name: "made", SQL: create}, "0001_init and 0001_made share version 1"},
		{"no_version", Migration{Version: 0, Name: "made", SQL: create}, "a version is 1 to 9999"},
		{"bad_name", Migration{Version: 2, Name: "Made Here", SQL: create}, `migration 2 "Made Here"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openURL(t, filepath.Join(t.TempDir(), "test.db"))
			err := Migrate(context.Background(), db, portable(map[string]string{"0001_init.sql": `CREATE TABLE b (id INTEGER);`}), "thing", tt.made)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Migrate = %v, want error containing %q", err, tt.want)
			}
		})
	}
}
