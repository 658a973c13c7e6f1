package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/sagatrace/sagatrace/internal/database"
	"github.com/sagatrace/sagatrace/internal/ids"
)

// Errors the store returns; the routes answer them as problems.
var (
	ErrNotFound  = errors.New("not found")
	ErrKeyReused = errors.New("idempotency key was used for a different request")
)

// now is the store's clock, in UTC.
func now() time.Time { return time.Now().UTC() }

// Store keeps a service's entities and their audit rows. Every state
// change is one transaction that updates the entity and inserts its row,
// so the trail is never half-written; every method is a span.
type Store[E any, S ~string] struct {
	db     *sql.DB
	spans  database.Spans
	schema Schema[E, S]
	insert string // the INSERT of Create, built once from the schema
}

// NewStore migrates db with the ledger's migrations and the service's
// own, the directory "migrations" of fsys (a directory per dialect in it,
// see database.Migrate; fsys is nil when the service has none), and
// returns its store, whose methods are spans of tp.
func NewStore[E any, S ~string](ctx context.Context, db *sql.DB, tp trace.TracerProvider, schema Schema[E, S], fsys fs.FS) (*Store[E, S], error) {
	var own fs.FS
	var err error
	if fsys != nil {
		own, err = fs.Sub(fsys, "migrations")
	}
	if err == nil {
		err = database.Migrate(ctx, db, own, schema.Name, schema.migrations()...)
	}
	if err != nil {
		return nil, fmt.Errorf("%s store: %w", schema.Name, err)
	}
	cols := append(append([]string{schema.IDColumn, "dtid"}, schema.Columns...), "state", "caller", "idempotency_key", "request_hash", "created_at", "updated_at")
	marks := make([]string, len(cols))
	for i := range marks {
		marks[i] = "$" + strconv.Itoa(i+1)
	}
	return &Store[E, S]{
		db: db, schema: schema,
		// "Not found", "key reused" and "voided" are answers to the caller, not faults.
		spans: database.NewSpans(tp, database.DialectOf(db), schema.Name, ErrNotFound, ErrKeyReused, ErrVoided),
		insert: `INSERT INTO ` + schema.Table + ` (` + strings.Join(cols, ", ") + `) VALUES (` + strings.Join(marks, ", ") + `)
			ON CONFLICT (idempotency_key) DO NOTHING RETURNING id`,
	}, nil
}

// Ping reports whether the database answers, for /readyz.
func (s *Store[E, S]) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// Create records e, in the state it holds and created now, with its first
// audit row,
// unless key was used before (by its caller, or bare before keys were
// scoped, keys.go): then it returns that entity (created false), or
// ErrKeyReused when the earlier request's fingerprint differs from hash.
// A DTID that a compensation voided gets ErrVoided, and nothing is written.
// The unique key makes concurrent identical requests safe: one insert
// wins, the others read it.
func (s *Store[E, S]) Create(ctx context.Context, key IdempotencyKey, hash string, e E, correlationID string) (out E, created bool, err error) {
	c := s.schema.Common(&e)
	*c.CreatedAt = now()
	*c.UpdatedAt = *c.CreatedAt
	ctx, span := s.spans.Start(ctx, "create", *c.DTID)
	defer s.spans.End(span, &err)
	own, err := s.schema.Values(&e)
	if err != nil {
		return out, false, err
	}
	if key.Caller == legacyCaller {
		return out, false, errNoCaller
	}
	args := append(append([]any{*c.ID, *c.DTID}, own...), *c.State, key.Caller, key.stored(), hash, database.FormatTime(*c.CreatedAt), database.FormatTime(*c.UpdatedAt))
	err = database.InTx(ctx, s.db, func(tx *sql.Tx) error {
		if err := s.checkNotVoided(ctx, tx, *c.DTID); err != nil {
			return err
		}
		// Looked up before the insert, which would not conflict with a row
		// of the key stored bare before version 4: that row is the request's
		// (a saga in flight across the upgrade) and must not be charged again.
		out, err = s.replay(ctx, tx, key, hash)
		if !errors.Is(err, ErrNotFound) {
			return err
		}
		var id int64
		err = tx.QueryRowContext(ctx, s.insert, args...).Scan(&id)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			out, err = s.replay(ctx, tx, key, hash)
			return err
		case err != nil:
			return fmt.Errorf("insert into %s: %w", s.schema.Table, err)
		}
		if err := s.audit(ctx, tx, id, *c.DTID, *c.State, correlationID); err != nil {
			return err
		}
		created = true
		out, err = s.load(ctx, tx, *c.ID)
		return err
	})
	return out, created, err
}

// ByKey returns the entity created with key, ErrNotFound when there is
// none, or ErrKeyReused when a request with another fingerprint made it.
func (s *Store[E, S]) ByKey(ctx context.Context, key IdempotencyKey, hash string) (out E, err error) {
	ctx, span := s.spans.Start(ctx, "by_key", ids.DTIDFrom(ctx))
	defer s.spans.End(span, &err)
	err = database.InTx(ctx, s.db, func(tx *sql.Tx) error {
		out, err = s.replay(ctx, tx, key, hash)
		return err
	})
	return out, err
}

// replay returns the entity that key created, as Create and ByKey answer
// it. A row of the caller's key space comes first; a row that holds the
// bare key and no caller was written before keys were scoped, and answers
// the key whoever sends it (keys.go). Only one of them exists unless an
// old build ran beside a new one.
func (s *Store[E, S]) replay(ctx context.Context, tx *sql.Tx, key IdempotencyKey, hash string) (E, error) {
	var zero E
	var id, storedHash string
	err := tx.QueryRowContext(ctx, `SELECT `+s.schema.IDColumn+`, request_hash FROM `+s.schema.Table+`
		WHERE idempotency_key = $1 OR (idempotency_key = $2 AND caller = $3)
		ORDER BY caller = $3 LIMIT 1`,
		key.stored(), key.Value, legacyCaller).Scan(&id, &storedHash)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return zero, ErrNotFound
	case err != nil:
		return zero, fmt.Errorf("read %s of idempotency key: %w", s.schema.Name, err)
	case storedHash != hash:
		return zero, ErrKeyReused
	}
	return s.load(ctx, tx, id)
}

// Advance moves the entity id from state from to state to, with its audit
// row, and reports whether it did. It is a compare-and-set: when the
// entity is no longer in from (a concurrent request moved it), it changes
// nothing and returns the entity as it is, for the caller to go on from
// there.
func (s *Store[E, S]) Advance(ctx context.Context, id string, from, to S, correlationID string) (out E, moved bool, err error) {
	ctx, span := s.spans.Start(ctx, "advance", ids.DTIDFrom(ctx))
	span.SetAttributes(attribute.String(s.schema.Name+".state.from", string(from)), attribute.String(s.schema.Name+".state.to", string(to)))
	defer s.spans.End(span, &err)
	err = database.InTx(ctx, s.db, func(tx *sql.Tx) error {
		var local int64
		var dtid string
		err := tx.QueryRowContext(ctx, `UPDATE `+s.schema.Table+` SET state = $1, updated_at = $2
			WHERE `+s.schema.IDColumn+` = $3 AND state = $4 RETURNING id, dtid`,
			to, database.FormatTime(now()), id, from).Scan(&local, &dtid)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			out, err = s.load(ctx, tx, id)
			return err
		case err != nil:
			return fmt.Errorf("update %s state: %w", s.schema.Name, err)
		}
		if err := s.audit(ctx, tx, local, dtid, to, correlationID); err != nil {
			return err
		}
		moved = true
		out, err = s.load(ctx, tx, id)
		return err
	})
	if err == nil {
		span.SetAttributes(attribute.String(ids.AttrDTID, *s.schema.Common(&out).DTID))
	}
	return out, moved, err
}

// audit writes the row of the entity with local id ref entering state.
func (s *Store[E, S]) audit(ctx context.Context, tx *sql.Tx, ref int64, dtid string, state S, correlationID string) error {
	return s.schema.Audit.Insert(ctx, tx, ref, dtid, database.AuditRow{State: string(state), CorrelationID: correlationID, At: now()})
}
