package payment

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/sagatrace/sagatrace/internal/database"
	"github.com/sagatrace/sagatrace/internal/ids"
)

// now is the store's clock, in UTC.
func now() time.Time { return time.Now().UTC() }

// queryer is what reads need of *sql.Tx, so they run inside writes too.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

const paymentColumns = `id, payment_id, dtid, customer_id, amount_cents, currency, state, created_at, updated_at`

// get returns one payment with its history, or errNotFound.
func (s *Store) get(ctx context.Context, paymentID string) (out Payment, err error) {
	ctx, span := s.start(ctx, "get", ids.DTIDFrom(ctx))
	defer end(span, &err)
	err = database.InTx(ctx, s.db, func(tx *sql.Tx) error {
		out, err = loadPayment(ctx, tx, paymentID)
		return err
	})
	return out, err
}

// list returns one page of payments ordered by payment_id, fetching one
// extra row to know whether another page follows. Both queries share a
// transaction, so each payment's history matches its state.
func (s *Store) list(ctx context.Context, f ListFilter) (page Page, err error) {
	// A read is not part of the transaction it looks at: its span names the
	// filter under another key, so a search by dtid finds only the saga's hops.
	ctx, span := s.start(ctx, "list", "")
	span.SetAttributes(attribute.String("query.dtid", f.DTID))
	defer end(span, &err)
	where, args := `payment_id > $1`, []any{f.Cursor}
	if f.DTID != "" {
		where, args = where+` AND dtid = $2`, append(args, f.DTID)
	}
	args = append(args, f.Limit+1)
	selectPage := `SELECT ` + paymentColumns + ` FROM payments WHERE ` + where +
		` ORDER BY payment_id LIMIT $` + strconv.Itoa(len(args))
	err = database.InTx(ctx, s.db, func(tx *sql.Tx) error {
		items, localIDs, err := scanPayments(tx.QueryContext(ctx, selectPage, args...))
		if err != nil {
			return err
		}
		if len(items) > f.Limit {
			items, localIDs = items[:f.Limit], localIDs[:f.Limit]
			page.NextCursor = items[len(items)-1].PaymentID
		}
		byLocalID := make(map[int64]*Payment, len(items))
		for i := range items {
			byLocalID[localIDs[i]] = &items[i]
		}
		err = loadHistories(ctx, tx, byLocalID, `SELECT payment, state, correlation_id, created_at FROM payment_events
			WHERE payment IN (SELECT id FROM (`+selectPage+`) AS page) ORDER BY id`, args...)
		page.Items = items
		return err
	})
	return page, err
}

// loadPayment reads one payment and its history.
func loadPayment(ctx context.Context, q queryer, paymentID string) (Payment, error) {
	items, localIDs, err := scanPayments(q.QueryContext(ctx,
		`SELECT `+paymentColumns+` FROM payments WHERE payment_id = $1`, paymentID))
	if err != nil {
		return Payment{}, err
	}
	if len(items) == 0 {
		return Payment{}, errNotFound
	}
	err = loadHistories(ctx, q, map[int64]*Payment{localIDs[0]: &items[0]},
		`SELECT payment, state, correlation_id, created_at FROM payment_events WHERE payment = $1 ORDER BY id`, localIDs[0])
	return items[0], err
}

// scanPayments reads payment rows; the local ids come back separately so
// they can join the history but never sit in a Payment.
func scanPayments(rows *sql.Rows, err error) (items []Payment, localIDs []int64, _ error) {
	if err != nil {
		return nil, nil, fmt.Errorf("query payments: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p Payment
		var id int64
		var created, updated string
		if err := rows.Scan(&id, &p.PaymentID, &p.DTID, &p.CustomerID, &p.AmountCents, &p.Currency, &p.State, &created, &updated); err != nil {
			return nil, nil, fmt.Errorf("scan payment: %w", err)
		}
		if p.CreatedAt, err = database.ParseTime(created); err != nil {
			return nil, nil, err
		}
		if p.UpdatedAt, err = database.ParseTime(updated); err != nil {
			return nil, nil, err
		}
		p.History = []StateChange{}
		items, localIDs = append(items, p), append(localIDs, id)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("read payments: %w", err)
	}
	return items, localIDs, nil
}

// loadHistories appends the audit rows returned by query to their payments.
func loadHistories(ctx context.Context, q queryer, byLocalID map[int64]*Payment, query string, args ...any) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("query payment events: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var local int64
		var c StateChange
		var at string
		if err := rows.Scan(&local, &c.State, &c.CorrelationID, &at); err != nil {
			return fmt.Errorf("scan payment event: %w", err)
		}
		if c.At, err = database.ParseTime(at); err != nil {
			return err
		}
		if p := byLocalID[local]; p != nil {
			p.History = append(p.History, c)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read payment events: %w", err)
	}
	return nil
}
