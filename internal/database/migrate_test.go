package database

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

func openTemp(t *testing.T) *sql.DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func versions(t *testing.T, db *sql.DB, component string) []string {
	t.Helper()
	rows, err := db.Query(`SELECT version || ':' || name FROM schema_migrations WHERE component = $1 ORDER BY version`, component)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func file(sql string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(sql)} }

func TestMigrateAppliesInOrderOnce(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	fsys := fstest.MapFS{
		// Listed out of order on purpose: 0002 needs the table of 0001.
		"0002_add_note.sql": file(`ALTER TABLE things ADD COLUMN note TEXT;
			INSERT INTO things (name, note) VALUES ('a', 'b');`),
		"0001_init.sql": file(`CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT NOT NULL);`),
		"README.md":     file("not a migration"),
	}
	for i := range 2 {
		if err := Migrate(ctx, db, fsys, "thing"); err != nil {
			t.Fatalf("run %d: %v", i+1, err)
		}
	}
	if got := strings.Join(versions(t, db, "thing"), ","); got != "1:init,2:add_note" {
		t.Errorf("schema_migrations = %s", got)
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM things`).Scan(&n); err != nil || n != 1 {
		t.Errorf("things rows = %d (%v), want 1: the second run must not re-apply 0002", n, err)
	}

	// A second component keeps its own versions in the same table.
	other := fstest.MapFS{"0001_init.sql": file(`CREATE TABLE others (id INTEGER PRIMARY KEY);`)}
	if err := Migrate(ctx, db, other, "other"); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(versions(t, db, "other"), ","); got != "1:init" {
		t.Errorf("other component versions = %s", got)
	}
}

func TestMigrateFailureRollsBackThatFile(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	fsys := fstest.MapFS{
		"0001_init.sql":   file(`CREATE TABLE things (id INTEGER PRIMARY KEY);`),
		"0002_broken.sql": file(`CREATE TABLE half (id INTEGER PRIMARY KEY); THIS IS NOT SQL;`),
	}
	err := Migrate(ctx, db, fsys, "thing")
	if err == nil || !strings.Contains(err.Error(), "0002_broken") {
		t.Fatalf("Migrate = %v, want an error naming 0002_broken", err)
	}
	if got := strings.Join(versions(t, db, "thing"), ","); got != "1:init" {
		t.Errorf("schema_migrations = %s, want only 1:init", got)
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE name = 'half'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("table from the failed migration exists (%d, %v)", n, err)
	}
}

func TestMigrateRejectsBadFileSets(t *testing.T) {
	tests := []struct {
		name string
		fsys fstest.MapFS
		want string
	}{
		{
			name: "bad_name",
			fsys: fstest.MapFS{"1_init.sql": file(`SELECT 1;`)},
			want: "not named NNNN_name.sql",
		},
		{
			name: "duplicate_version",
			fsys: fstest.MapFS{"0001_a.sql": file(`SELECT 1;`), "0001_b.sql": file(`SELECT 1;`)},
			want: "share version 1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Migrate(context.Background(), openTemp(t), tt.fsys, "thing")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Migrate = %v, want error containing %q", err, tt.want)
			}
		})
	}
}

func TestMigrateRefusesRenamedVersion(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	if err := Migrate(ctx, db, fstest.MapFS{"0001_init.sql": file(`CREATE TABLE a (id INTEGER);`)}, "thing"); err != nil {
		t.Fatal(err)
	}
	err := Migrate(ctx, db, fstest.MapFS{"0001_other.sql": file(`CREATE TABLE b (id INTEGER);`)}, "thing")
	if err == nil || !strings.Contains(err.Error(), `applied as "init"`) {
		t.Fatalf("Migrate = %v, want a refusal naming the applied migration", err)
	}
}
