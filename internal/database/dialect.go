package database

import (
	"database/sql"

	"github.com/jackc/pgx/v5/stdlib"
	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// Dialect is the SQL a database speaks, for the few places where SQLite
// and PostgreSQL need different text: the schemas (Migrate picks the
// directory named after the dialect), SQLite's positional ? parameters and
// the db.system.name of spans. Everything else the stores write runs on
// both: $n placeholders, ON CONFLICT, RETURNING, TEXT timestamps.
type Dialect string

// The dialects Open returns databases of.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DialectOf returns the dialect of db, a database Open returned. It goes
// by the driver, so a store asks its *sql.DB rather than being told.
func DialectOf(db *sql.DB) Dialect {
	if _, ok := db.Driver().(*stdlib.Driver); ok {
		return Postgres
	}
	return SQLite
}

// SystemName is the OpenTelemetry db.system.name attribute of spans of
// queries on d.
func (d Dialect) SystemName() attribute.KeyValue {
	if d == Postgres {
		return semconv.DBSystemNamePostgreSQL
	}
	return semconv.DBSystemNameSQLite
}
