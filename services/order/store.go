package order

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"

	"github.com/sagatrace/sagatrace/services/order/orderapi"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/sagatrace/sagatrace/internal/database"
	"github.com/sagatrace/sagatrace/internal/ids"
)

// migrations holds a directory per dialect (see database.Migrate).
//
//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrations embed.FS

// Errors the store returns for the server to map to problems.
var (
	errNotFound  = errors.New("order not found")
	errKeyReused = errors.New("idempotency key was used for a different request")
)

// Store keeps orders and their audit rows; every state change is one
// transaction that updates the order and inserts its row. The SQL runs on
// SQLite and PostgreSQL alike.
type Store struct {
	db    *sql.DB
	spans database.Spans
}

// NewStore migrates db to the order schema and returns a store whose
// queries are spans of tp.
func NewStore(ctx context.Context, db *sql.DB, tp trace.TracerProvider) (*Store, error) {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, fmt.Errorf("order store: %w", err)
	}
	if err := database.Migrate(ctx, db, sub, "order"); err != nil {
		return nil, fmt.Errorf("order store: %w", err)
	}
	// "Not found" and "key reused" are answers to the caller, not faults.
	return &Store{db: db, spans: database.NewSpans(tp, database.DialectOf(db), "order", errNotFound, errKeyReused)}, nil
}

// Ping reports whether the database answers, for /readyz.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// create records o, confirmed, with its audit row, unless key was used
// before: then it returns that order (created false), or errKeyReused when
// the earlier request differs. The unique key settles concurrent requests.
func (s *Store) create(ctx context.Context, key, hash string, o orderapi.Order, correlationID string) (out orderapi.Order, created bool, err error) {
	ctx, span := s.spans.Start(ctx, "create", o.DTID)
	defer s.spans.End(span, &err)
	items, err := json.Marshal(o.Items)
	if err != nil {
		return orderapi.Order{}, false, fmt.Errorf("encode items: %w", err)
	}
	err = database.InTx(ctx, s.db, func(tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO orders
			(order_id, dtid, customer_id, payment_id, amount_cents, currency, items, state, idempotency_key, request_hash, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)
			ON CONFLICT (idempotency_key) DO NOTHING RETURNING id`,
			o.OrderID, o.DTID, o.CustomerID, o.PaymentID, o.AmountCents, o.Currency, string(items), o.State, key, hash,
			database.FormatTime(o.CreatedAt)).Scan(&id)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			out, err = replay(ctx, tx, key, hash)
			return err
		case err != nil:
			return fmt.Errorf("insert order: %w", err)
		}
		if err := insertEvent(ctx, tx, id, o.DTID, o.State, correlationID); err != nil {
			return err
		}
		created = true
		out, err = loadOrder(ctx, tx, o.OrderID)
		return err
	})
	return out, created, err
}

// byKey returns the order created with key, errNotFound when there is
// none, or errKeyReused when it was created by a different request.
func (s *Store) byKey(ctx context.Context, key, hash string) (out orderapi.Order, err error) {
	ctx, span := s.spans.Start(ctx, "by_key", ids.DTIDFrom(ctx))
	defer s.spans.End(span, &err)
	err = database.InTx(ctx, s.db, func(tx *sql.Tx) error {
		out, err = replay(ctx, tx, key, hash)
		return err
	})
	return out, err
}

func replay(ctx context.Context, tx *sql.Tx, key, hash string) (orderapi.Order, error) {
	var orderID, storedHash string
	err := tx.QueryRowContext(ctx, `SELECT order_id, request_hash FROM orders WHERE idempotency_key = $1`,
		key).Scan(&orderID, &storedHash)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return orderapi.Order{}, errNotFound
	case err != nil:
		return orderapi.Order{}, fmt.Errorf("read order of idempotency key: %w", err)
	case storedHash != hash:
		return orderapi.Order{}, errKeyReused
	}
	return loadOrder(ctx, tx, orderID)
}

// advance moves an order from state from to state to with its audit row,
// as a compare-and-set: when the order is no longer in from, it changes
// nothing and returns the order as it is.
func (s *Store) advance(ctx context.Context, orderID string, from, to orderapi.State, correlationID string) (out orderapi.Order, moved bool, err error) {
	ctx, span := s.spans.Start(ctx, "advance", ids.DTIDFrom(ctx))
	span.SetAttributes(attribute.String("order.state.from", string(from)), attribute.String("order.state.to", string(to)))
	defer s.spans.End(span, &err)
	err = database.InTx(ctx, s.db, func(tx *sql.Tx) error {
		var id int64
		var dtid string
		err := tx.QueryRowContext(ctx, `UPDATE orders SET state = $1, updated_at = $2
			WHERE order_id = $3 AND state = $4 RETURNING id, dtid`,
			to, database.FormatTime(now()), orderID, from).Scan(&id, &dtid)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			out, err = loadOrder(ctx, tx, orderID)
			return err
		case err != nil:
			return fmt.Errorf("update order state: %w", err)
		}
		if err := insertEvent(ctx, tx, id, dtid, to, correlationID); err != nil {
			return err
		}
		moved = true
		out, err = loadOrder(ctx, tx, orderID)
		return err
	})
	if err == nil {
		span.SetAttributes(attribute.String(ids.AttrDTID, out.DTID))
	}
	return out, moved, err
}

// insertEvent writes the audit row of an order entering state.
func insertEvent(ctx context.Context, tx *sql.Tx, order int64, dtid string, state orderapi.State, correlationID string) error {
	return events().Insert(ctx, tx, order, dtid, database.AuditRow{State: string(state), CorrelationID: correlationID, At: now()})
}

// events is the orders' audit trail: a function, as Go has no constant
// structs. Its column is order_ref because ORDER is an SQL keyword.
func events() database.AuditTable {
	return database.AuditTable{Name: "order_events", Ref: "order_ref"}
}
