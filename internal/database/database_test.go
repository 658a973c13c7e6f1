package database

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sagatrace/sagatrace/internal/database/dbtest"
)

func TestOpenAcceptsURLFormsAndSetsPragmas(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		url  string
	}{
		{name: "plain_path", url: filepath.Join(dir, "plain.db")},
		{name: "path_with_space", url: filepath.Join(dir, "with space.db")},
		{name: "sqlite_url", url: "sqlite://" + filepath.Join(dir, "url.db")},
		{name: "file_uri", url: "file:" + filepath.Join(dir, "uri.db") + "?mode=rwc"},
		{name: "caller_pragma_kept", url: filepath.Join(dir, "own.db") + "?_pragma=busy_timeout(7000)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			db, err := Open(ctx, tt.url)
			if err != nil {
				t.Fatalf("Open(%q): %v", tt.url, err)
			}
			t.Cleanup(func() { _ = db.Close() })

			var mode string
			var fk, busy int
			if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
				t.Fatal(err)
			}
			if err := db.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil {
				t.Fatal(err)
			}
			if err := db.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&busy); err != nil {
				t.Fatal(err)
			}
			wantBusy := 5000
			if tt.name == "caller_pragma_kept" {
				wantBusy = 7000
			}
			if mode != "wal" || fk != 1 || busy != wantBusy {
				t.Errorf("journal_mode=%s foreign_keys=%d busy_timeout=%d, want wal 1 %d", mode, fk, busy, wantBusy)
			}
			if got := db.Stats().MaxOpenConnections; got != 1 {
				t.Errorf("MaxOpenConnections = %d, want 1", got)
			}
		})
	}
}

func TestOpenPicksTheStoreByURL(t *testing.T) {
	backends.Each(t, func(t *testing.T, backend dbtest.Backend) {
		dbURL := backend.URL(t)
		db := openURL(t, dbURL)
		want, wantConns := SQLite, 1
		if isPostgres(dbURL) {
			want, wantConns = Postgres, postgresMaxConns
		}
		if got := DialectOf(db); got != want {
			t.Errorf("DialectOf = %s, want %s", got, want)
		}
		if got := db.Stats().MaxOpenConnections; got != wantConns {
			t.Errorf("MaxOpenConnections = %d, want %d", got, wantConns)
		}
		var n int
		if err := db.QueryRow(`SELECT $1 + 1`, 41).Scan(&n); err != nil || n != 42 {
			t.Errorf("SELECT $1 + 1 = %d, %v", n, err)
		}
	})
}

func TestOpenRejects(t *testing.T) {
	tests := []struct {
		name     string
		url      string
		contains string
	}{
		{name: "empty", url: "", contains: "URL is empty"},
		{name: "no_path", url: "sqlite://", contains: "no file path"},
		{name: "missing_directory", url: filepath.Join(t.TempDir(), "no", "such", "dir", "x.db"), contains: "x.db"},
		// Nothing listens on port 1; the password must not reach the error.
		{name: "postgres_unreachable", url: "postgres://sagatrace:s3cret@127.0.0.1:1/db?connect_timeout=5", contains: "127.0.0.1"},
		{name: "postgres_bad_port", url: "postgresql://sagatrace:s3cret@localhost:port/db", contains: "invalid port"},
		{name: "postgres_bad_parameter", url: "postgres://sagatrace@localhost/db?password=s3cret&connect_timeout=soon", contains: "connect_timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := Open(context.Background(), tt.url)
			if err == nil {
				_ = db.Close()
				t.Fatalf("Open(%q) succeeded", tt.url)
			}
			if !strings.Contains(err.Error(), tt.contains) || strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error %q: want it to contain %q and no password", err, tt.contains)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ url, want string }{
		{"data/payment.db?_pragma=busy_timeout(7000)", "data/payment.db"},
		{"postgres://app:s3cret@db:5432/payment?sslmode=require", "postgres://app:xxxxx@db:5432/payment"},
		{"postgres://app@db/payment?password=s3cret", "postgres://app@db/payment"},
		{"postgresql://app:s3c@ret@db/payment", "postgresql://app:xxxxx@db/payment"},
		{"postgres://db/payment", "postgres://db/payment"},
	}
	for _, tt := range tests {
		if got := redact(tt.url); got != tt.want {
			t.Errorf("redact(%q) = %q, want %q", tt.url, got, tt.want)
		}
	}
}

func TestTimeRoundTripSortsAsText(t *testing.T) {
	a := time.Date(2026, 1, 2, 3, 4, 5, 100, time.FixedZone("x", 3600))
	b := a.Add(time.Microsecond * 9)
	sa, sb := FormatTime(a), FormatTime(b)
	if !(sa < sb) {
		t.Errorf("%s does not sort before %s", sa, sb)
	}
	got, err := ParseTime(sa)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(a) || got.Location() != time.UTC {
		t.Errorf("ParseTime(FormatTime(a)) = %v, want %v in UTC", got, a)
	}
}
