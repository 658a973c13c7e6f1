package order

import (
	"context"
	"database/sql"
	"encoding/json"
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

const orderColumns = `id, order_id, dtid, customer_id, payment_id, amount_cents, currency, items, state, created_at, updated_at`

// get returns one order with its history, or errNotFound.
func (s *Store) get(ctx context.Context, orderID string) (out Order, err error) {
	ctx, span := s.start(ctx, "get", ids.DTIDFrom(ctx))
	defer end(span, &err)
	err = database.InTx(ctx, s.db, func(tx *sql.Tx) error {
		out, err = loadOrder(ctx, tx, orderID)
		return err
	})
	return out, err
}

// list returns one page of orders ordered by order_id, fetching one
// extra row to know whether another page follows. Both queries share a
// transaction, so each order's history matches its state.
func (s *Store) list(ctx context.Context, f ListFilter) (page Page, err error) {
	// A read is not part of the transaction it looks at: its span names the
	// filter under another key, so a search by dtid finds only the saga's hops.
	ctx, span := s.start(ctx, "list", "")
	span.SetAttributes(attribute.String("query.dtid", f.DTID))
	defer end(span, &err)
	where, args := `order_id > $1`, []any{f.Cursor}
	if f.DTID != "" {
		where, args = where+` AND dtid = $2`, append(args, f.DTID)
	}
	args = append(args, f.Limit+1)
	selectPage := `SELECT ` + orderColumns + ` FROM orders WHERE ` + where +
		` ORDER BY order_id LIMIT $` + strconv.Itoa(len(args))
	err = database.InTx(ctx, s.db, func(tx *sql.Tx) error {
		items, localIDs, err := scanOrders(tx.QueryContext(ctx, selectPage, args...))
		if err != nil {
			return err
		}
		if len(items) > f.Limit {
			items, localIDs = items[:f.Limit], localIDs[:f.Limit]
			page.NextCursor = items[len(items)-1].OrderID
		}
		byLocalID := make(map[int64]*Order, len(items))
		for i := range items {
			byLocalID[localIDs[i]] = &items[i]
		}
		err = loadHistories(ctx, tx, byLocalID, `SELECT order_ref, state, correlation_id, created_at FROM order_events
			WHERE order_ref IN (SELECT id FROM (`+selectPage+`) AS page) ORDER BY id`, args...)
		page.Items = items
		return err
	})
	return page, err
}

// loadOrder reads one order and its history.
func loadOrder(ctx context.Context, q queryer, orderID string) (Order, error) {
	items, localIDs, err := scanOrders(q.QueryContext(ctx,
		`SELECT `+orderColumns+` FROM orders WHERE order_id = $1`, orderID))
	if err != nil {
		return Order{}, err
	}
	if len(items) == 0 {
		return Order{}, errNotFound
	}
	err = loadHistories(ctx, q, map[int64]*Order{localIDs[0]: &items[0]},
		`SELECT order_ref, state, correlation_id, created_at FROM order_events WHERE order_ref = $1 ORDER BY id`, localIDs[0])
	return items[0], err
}

// scanOrders reads order rows; the local ids come back separately so they
// can join the history but never sit in an Order.
func scanOrders(rows *sql.Rows, err error) (items []Order, localIDs []int64, _ error) {
	if err != nil {
		return nil, nil, fmt.Errorf("query orders: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p Order
		var id int64
		var itemsJSON, created, updated string
		if err := rows.Scan(&id, &p.OrderID, &p.DTID, &p.CustomerID, &p.PaymentID, &p.AmountCents, &p.Currency, &itemsJSON, &p.State, &created, &updated); err != nil {
			return nil, nil, fmt.Errorf("scan order: %w", err)
		}
		if err := json.Unmarshal([]byte(itemsJSON), &p.Items); err != nil {
			return nil, nil, fmt.Errorf("decode items of order %s: %w", p.OrderID, err)
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
		return nil, nil, fmt.Errorf("read orders: %w", err)
	}
	return items, localIDs, nil
}

// loadHistories appends the audit rows returned by query to their orders.
func loadHistories(ctx context.Context, q queryer, byLocalID map[int64]*Order, query string, args ...any) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("query order events: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var local int64
		var c StateChange
		var at string
		if err := rows.Scan(&local, &c.State, &c.CorrelationID, &at); err != nil {
			return fmt.Errorf("scan order event: %w", err)
		}
		if c.At, err = database.ParseTime(at); err != nil {
			return err
		}
		if p := byLocalID[local]; p != nil {
			p.History = append(p.History, c)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read order events: %w", err)
	}
	return nil
}
