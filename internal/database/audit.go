package database

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Queryer is what reads need of *sql.DB and *sql.Tx, so the same read
// runs on its own or inside a write's transaction.
type Queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// AuditTable names a service's audit trail: one row per state change of
// an entity (a payment, an order), pointing at it by its local id, with
// the DTID and the correlation ID of the hop that made the change. Every
// service's trail has this shape, so the saga's hops read the same way in
// each database.
type AuditTable struct {
	Name string // the table, "payment_events"; a constant, never input
	Ref  string // its column holding the entity's local id, "payment"
}

// AuditRow is one state change.
type AuditRow struct {
	State         string
	CorrelationID string
	At            time.Time
}

// Insert writes row for the entity whose local id is ref, inside the
// transaction that changes the entity, so the trail is never half-written.
func (a AuditTable) Insert(ctx context.Context, tx *sql.Tx, ref int64, dtid string, row AuditRow) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO `+a.Name+` (`+a.Ref+`, dtid, state, correlation_id, created_at)
		VALUES ($1, $2, $3, $4, $5)`, ref, dtid, row.State, row.CorrelationID, FormatTime(row.At))
	if err != nil {
		return fmt.Errorf("insert %s row into %s: %w", row.State, a.Name, err)
	}
	return nil
}

// Load reads, oldest first, the rows of the entities with the local ids
// localIDs, and hands each to add with its entity's index in localIDs.
// refs is the SQL that selects those ids, with args as its arguments: "$1"
// for one entity, or a page's query as a subquery, so the rows come in the
// same transaction as the page. Rows of entities refs selects beyond
// localIDs (a page's one extra row) are skipped.
func (a AuditTable) Load(ctx context.Context, q Queryer, localIDs []int64, refs string, args []any, add func(i int, row AuditRow)) error {
	index := make(map[int64]int, len(localIDs))
	for i, id := range localIDs {
		index[id] = i
	}
	rows, err := q.QueryContext(ctx, `SELECT `+a.Ref+`, state, correlation_id, created_at FROM `+a.Name+`
		WHERE `+a.Ref+` IN (`+refs+`) ORDER BY id`, args...)
	if err != nil {
		return fmt.Errorf("query %s: %w", a.Name, err)
	}
	defer rows.Close()
	for rows.Next() {
		var ref int64
		var row AuditRow
		var at string
		if err := rows.Scan(&ref, &row.State, &row.CorrelationID, &at); err != nil {
			return fmt.Errorf("scan %s: %w", a.Name, err)
		}
		if row.At, err = ParseTime(at); err != nil {
			return err
		}
		if i, ok := index[ref]; ok {
			add(i, row)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read %s: %w", a.Name, err)
	}
	return nil
}
