package database

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// Pool sizes for PostgreSQL. Unlike SQLite, the server runs writers
// concurrently, so the pool holds several connections; ten per service
// instance leaves room for many instances within PostgreSQL's default
// max_connections of 100. Connections are recycled now and then so that a
// failover or a pgbouncer restart is followed without a service restart.
const (
	postgresMaxConns        = 10
	postgresConnMaxIdleTime = 5 * time.Minute
	postgresConnMaxLifetime = 30 * time.Minute
)

func isPostgres(rawURL string) bool {
	return strings.HasPrefix(rawURL, "postgres://") || strings.HasPrefix(rawURL, "postgresql://")
}

// openPostgres opens the PostgreSQL database of a postgres:// URL through
// pgx's database/sql driver, so the stores keep their *sql.DB. The URL
// takes libpq's parameters (sslmode, connect_timeout, …); no password is
// ever written into an error: pgx masks it in its own parse errors, its
// connection errors name only the user and database, and ours use redact.
func openPostgres(ctx context.Context, rawURL string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(rawURL)
	if err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(postgresMaxConns)
	db.SetMaxIdleConns(postgresMaxConns)
	db.SetConnMaxIdleTime(postgresConnMaxIdleTime)
	db.SetConnMaxLifetime(postgresConnMaxLifetime)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("database: open %s: %w", redact(rawURL), err)
	}
	return db, nil
}
