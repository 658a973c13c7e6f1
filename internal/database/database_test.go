package database

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"
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

func TestOpenRejects(t *testing.T) {
	tests := []struct {
		name     string
		url      string
		wantPG   bool
		contains string
	}{
		{name: "postgres", url: "postgres://u:p@localhost/db", wantPG: true},
		{name: "postgresql", url: "postgresql://localhost/db", wantPG: true},
		{name: "empty", url: ""},
		{name: "no_path", url: "sqlite://"},
		{name: "missing_directory", url: filepath.Join(t.TempDir(), "no", "such", "dir", "x.db")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := Open(context.Background(), tt.url)
			if err == nil {
				_ = db.Close()
				t.Fatalf("Open(%q) succeeded", tt.url)
			}
			if got := errors.Is(err, ErrPostgresUnsupported); got != tt.wantPG {
				t.Errorf("errors.Is(err, ErrPostgresUnsupported) = %v for %v", got, err)
			}
		})
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
