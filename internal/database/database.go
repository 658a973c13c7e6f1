// Package database opens the stores of sagatrace's services and applies
// their embedded migrations. SQLite (pure Go, modernc.org/sqlite) is the
// default; a postgres:// URL opens PostgreSQL instead (pgx), and Dialect
// tells the stores which one they have where their SQL must differ. It
// also holds what every service's store does alike: a span per store
// method (Spans), the audit trail of state changes (AuditTable) and keyset
// pages (PageQuery); the SQL of each service's own tables stays there.
package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"

	// The pure-Go SQLite driver registers itself as "sqlite"; no cgo needed,
	// so the single binary cross-compiles.
	_ "modernc.org/sqlite"
)

// Open opens the database named by rawURL and checks that it answers.
// postgres:// and postgresql:// URLs open PostgreSQL (see openPostgres);
// every other form is SQLite: a plain path ("data/payment.db"),
// "sqlite:///abs/path.db", "sqlite://rel/path.db" and SQLite URIs
// ("file:data/payment.db?mode=rwc").
func Open(ctx context.Context, rawURL string) (*sql.DB, error) {
	if rawURL == "" {
		return nil, errors.New("database: URL is empty")
	}
	if isPostgres(rawURL) {
		return openPostgres(ctx, rawURL)
	}
	dsn, err := sqliteDSN(rawURL)
	if err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("database: open sqlite: %w", err)
	}
	// SQLite has one writer per file. One connection serialises writers in
	// Go's pool, where they queue in order and honour ctx, instead of inside
	// SQLite, where they would spin on busy_timeout and can still fail with
	// SQLITE_BUSY when a read transaction upgrades. It also keeps ":memory:"
	// databases to one instance. The price is that reads queue behind
	// writes; a separate read-only pool is the upgrade path if that shows up.
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("database: open %s: %w", redact(rawURL), err)
	}
	return db, nil
}

// sqliteDSN turns one of the accepted forms into a modernc.org/sqlite DSN
// that always goes through SQLite's URI parser ("file:"), so paths with
// '?' or '#' and caller-supplied query parameters are handled one way.
func sqliteDSN(rawURL string) (string, error) {
	path, query, _ := strings.Cut(rawURL, "?")
	switch {
	case strings.HasPrefix(path, "sqlite://"):
		path = strings.TrimPrefix(path, "sqlite://")
	case strings.HasPrefix(path, "sqlite:"):
		path = strings.TrimPrefix(path, "sqlite:")
	case strings.HasPrefix(path, "file:"):
		// Already a URI: its path is escaped as the caller wrote it.
		return withPragmas(path, query)
	}
	if path == "" {
		return "", fmt.Errorf("no file path in %q", rawURL)
	}
	return withPragmas("file:"+(&url.URL{Path: path}).EscapedPath(), query)
}

// withPragmas adds the default pragmas the caller did not set themselves:
// WAL lets readers proceed while the writer commits, busy_timeout makes a
// second process (a CLI inspecting the file) wait instead of failing with
// SQLITE_BUSY, and foreign keys are off in SQLite unless asked for. It also
// sets _txlock=immediate: a transaction takes the write lock at BEGIN, so
// two transactions never deadlock upgrading from read to write.
func withPragmas(uri, rawQuery string) (string, error) {
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return "", fmt.Errorf("query parameters of the database URL: %w", err)
	}
	for _, p := range [...]string{"busy_timeout(5000)", "journal_mode(WAL)", "foreign_keys(1)"} {
		name, _, _ := strings.Cut(p, "(")
		if !hasPragma(q["_pragma"], name) {
			q.Add("_pragma", p)
		}
	}
	if q.Get("_txlock") == "" {
		q.Set("_txlock", "immediate")
	}
	return uri + "?" + q.Encode(), nil
}

func hasPragma(pragmas []string, name string) bool {
	for _, p := range pragmas {
		if strings.HasPrefix(strings.ToLower(strings.TrimSpace(p)), name) {
			return true
		}
	}
	return false
}

// redact takes what may hold credentials out of a URL before it goes into
// an error message: the query (PostgreSQL's password=) and the password of
// the user info. It works on the text, so a URL that does not parse is
// redacted all the same.
func redact(rawURL string) string {
	path, _, _ := strings.Cut(rawURL, "?")
	scheme, rest, ok := strings.Cut(path, "://")
	if !ok {
		return path
	}
	// The last '@' ends the user info: an unescaped '@' in a password must
	// not leave the rest of it in the message.
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return path
	}
	user, _, hasPassword := strings.Cut(rest[:at], ":")
	if hasPassword {
		user += ":xxxxx"
	}
	return scheme + "://" + user + rest[at:]
}
