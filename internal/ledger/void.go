package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/sagatrace/sagatrace/internal/database"
	"github.com/sagatrace/sagatrace/internal/httpapi"
)

// A compensation voids its DTID at the service: from then on the service
// takes no create for it, whatever the Idempotency-Key. A charge that
// arrives after the saga refunded (a late retry, a request that was in
// flight when the saga was cancelled, another caller) is refused with
// dtid-voided and writes nothing, so no money stays taken behind a
// compensated saga.
//
// Creates and voids of one DTID are serialized: on SQLite every write
// transaction holds the database's write lock from BEGIN; on PostgreSQL
// both take a transaction-scoped advisory lock on the DTID (lockDTID).
// So either the create commits first and the void finds and compensates
// its entity, or the void commits first and the create finds the void.

// ErrVoided is Create's answer for a DTID that a compensation voided.
var ErrVoided = errors.New("dtid is voided")

// TypeDTIDVoided is the problem type of a create refused because its DTID
// was compensated (409): not retryable, nothing was written.
const TypeDTIDVoided = httpapi.TypeDTIDVoided

// voids is the table of the service's voided DTIDs (migrations.go).
func (s Schema[E, S]) voids() string { return s.Name + "_voids" }

// lockDTID makes the other transactions that create or void dtid at this
// service wait until tx ends. hashtextextended maps the DTID to the
// lock's 64-bit key; two DTIDs sharing a key only wait for each other.
func (s *Store[E, S]) lockDTID(ctx context.Context, tx *sql.Tx, dtid string) error {
	if database.DialectOf(s.db) != database.Postgres {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, s.schema.voids()+"/"+dtid); err != nil {
		return fmt.Errorf("lock dtid: %w", err)
	}
	return nil
}

// voided reports whether dtid is voided, as q sees it.
func (s *Store[E, S]) voided(ctx context.Context, q database.Queryer, dtid string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM `+s.schema.voids()+` WHERE dtid = $1`, dtid).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("read voids: %w", err)
	}
	return n > 0, nil
}

// Voided reports whether a compensation voided dtid here.
func (s *Store[E, S]) Voided(ctx context.Context, dtid string) (yes bool, err error) {
	ctx, span := s.spans.Start(ctx, "voided", dtid)
	defer s.spans.End(span, &err)
	return s.voided(ctx, s.db, dtid)
}

// Void records that dtid is voided (once; voiding again changes nothing)
// and returns the public IDs of its entities, oldest first, for the
// caller to compensate: after the void no other can appear.
func (s *Store[E, S]) Void(ctx context.Context, dtid, correlationID string) (entities []string, err error) {
	ctx, span := s.spans.Start(ctx, "void", dtid)
	defer s.spans.End(span, &err)
	err = database.InTx(ctx, s.db, func(tx *sql.Tx) error {
		if err := s.lockDTID(ctx, tx, dtid); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO `+s.schema.voids()+` (dtid, correlation_id, created_at)
			VALUES ($1, $2, $3) ON CONFLICT (dtid) DO NOTHING`, dtid, correlationID, database.FormatTime(now())); err != nil {
			return fmt.Errorf("insert void: %w", err)
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+s.schema.IDColumn+` FROM `+s.schema.Table+` WHERE dtid = $1 ORDER BY id`, dtid)
		if err != nil {
			return fmt.Errorf("list %s of dtid: %w", s.schema.Table, err)
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			entities = append(entities, id)
		}
		return rows.Err()
	})
	return entities, err
}

// checkNotVoided is the part of Create's transaction that refuses a
// voided DTID, after taking the DTID's lock.
func (s *Store[E, S]) checkNotVoided(ctx context.Context, tx *sql.Tx, dtid string) error {
	if err := s.lockDTID(ctx, tx, dtid); err != nil {
		return err
	}
	v, err := s.voided(ctx, tx, dtid)
	switch {
	case err != nil:
		return err
	case v:
		return ErrVoided
	}
	return nil
}
