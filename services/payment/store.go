package payment

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"

	"github.com/sagatrace/sagatrace/services/payment/paymentapi"

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
	errNotFound  = errors.New("payment not found")
	errKeyReused = errors.New("idempotency key was used for a different request")
)

// Store keeps payments and their audit rows. Every state change is one
// transaction that updates the payment and inserts its row, so the trail is
// never half-written. The SQL runs on SQLite and PostgreSQL alike ($n
// placeholders, ON CONFLICT, RETURNING, TEXT timestamps).
type Store struct {
	db    *sql.DB
	spans database.Spans
}

// NewStore migrates db to the payment schema and returns a store whose
// queries are spans of tp.
func NewStore(ctx context.Context, db *sql.DB, tp trace.TracerProvider) (*Store, error) {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, fmt.Errorf("payment store: %w", err)
	}
	if err := database.Migrate(ctx, db, sub, "payment"); err != nil {
		return nil, fmt.Errorf("payment store: %w", err)
	}
	// "Not found" and "key reused" are answers to the caller, not faults.
	return &Store{db: db, spans: database.NewSpans(tp, database.DialectOf(db), "payment", errNotFound, errKeyReused)}, nil
}

// Ping reports whether the database answers, for /readyz.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// create records p in state stored with its first audit row, unless key
// was used before: then it returns that payment (created false), or
// errKeyReused when the earlier request differs. The unique key makes
// concurrent identical requests safe: one insert wins, the others read it.
func (s *Store) create(ctx context.Context, key, hash string, p paymentapi.Payment, correlationID string) (out paymentapi.Payment, created bool, err error) {
	ctx, span := s.spans.Start(ctx, "create", p.DTID)
	defer s.spans.End(span, &err)
	err = database.InTx(ctx, s.db, func(tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO payments
			(payment_id, dtid, customer_id, amount_cents, currency, card_token, card_last4, state, idempotency_key, request_hash, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)
			ON CONFLICT (idempotency_key) DO NOTHING RETURNING id`,
			p.PaymentID, p.DTID, p.CustomerID, p.AmountCents, p.Currency, p.CardToken, p.CardLast4, p.State, key, hash,
			database.FormatTime(p.CreatedAt)).Scan(&id)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			var paymentID, storedHash string
			if err := tx.QueryRowContext(ctx, `SELECT payment_id, request_hash FROM payments WHERE idempotency_key = $1`,
				key).Scan(&paymentID, &storedHash); err != nil {
				return fmt.Errorf("read payment of idempotency key: %w", err)
			}
			if storedHash != hash {
				return errKeyReused
			}
			out, err = loadPayment(ctx, tx, paymentID)
			return err
		case err != nil:
			return fmt.Errorf("insert payment: %w", err)
		}
		if err := insertEvent(ctx, tx, id, p.DTID, p.State, correlationID); err != nil {
			return err
		}
		created = true
		out, err = loadPayment(ctx, tx, p.PaymentID)
		return err
	})
	return out, created, err
}

// advance moves a payment from state from to state to, with its audit row,
// and reports whether it did. It is a compare-and-set: when the payment is
// no longer in from (a concurrent request advanced it), it changes nothing
// and returns the payment as it is, for the caller to continue from there.
func (s *Store) advance(ctx context.Context, paymentID string, from, to paymentapi.State, correlationID string) (out paymentapi.Payment, moved bool, err error) {
	ctx, span := s.spans.Start(ctx, "advance", ids.DTIDFrom(ctx))
	span.SetAttributes(attribute.String("payment.state.from", string(from)), attribute.String("payment.state.to", string(to)))
	defer s.spans.End(span, &err)
	err = database.InTx(ctx, s.db, func(tx *sql.Tx) error {
		var id int64
		var dtid string
		err := tx.QueryRowContext(ctx, `UPDATE payments SET state = $1, updated_at = $2
			WHERE payment_id = $3 AND state = $4 RETURNING id, dtid`,
			to, database.FormatTime(now()), paymentID, from).Scan(&id, &dtid)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			out, err = loadPayment(ctx, tx, paymentID)
			return err
		case err != nil:
			return fmt.Errorf("update payment state: %w", err)
		}
		if err := insertEvent(ctx, tx, id, dtid, to, correlationID); err != nil {
			return err
		}
		moved = true
		out, err = loadPayment(ctx, tx, paymentID)
		return err
	})
	if err == nil {
		span.SetAttributes(attribute.String(ids.AttrDTID, out.DTID))
	}
	return out, moved, err
}

// insertEvent writes the audit row of a payment entering state.
func insertEvent(ctx context.Context, tx *sql.Tx, payment int64, dtid string, state paymentapi.State, correlationID string) error {
	return events().Insert(ctx, tx, payment, dtid, database.AuditRow{State: string(state), CorrelationID: correlationID, At: now()})
}

// events is the payments' audit trail: a function, as Go has no constant
// structs.
func events() database.AuditTable {
	return database.AuditTable{Name: "payment_events", Ref: "payment"}
}
