package order

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/sagatrace/sagatrace/services/order/orderapi"

	"go.opentelemetry.io/otel/attribute"

	"github.com/sagatrace/sagatrace/internal/database"
	"github.com/sagatrace/sagatrace/internal/ids"
)

// now is the store's clock, in UTC.
func now() time.Time { return time.Now().UTC() }

const orderColumns = `id, order_id, dtid, customer_id, payment_id, amount_cents, currency, items, state, created_at, updated_at`

// get returns one order with its history, or errNotFound.
func (s *Store) get(ctx context.Context, orderID string) (out orderapi.Order, err error) {
	ctx, span := s.spans.Start(ctx, "get", ids.DTIDFrom(ctx))
	defer s.spans.End(span, &err)
	err = database.InTx(ctx, s.db, func(tx *sql.Tx) error {
		out, err = loadOrder(ctx, tx, orderID)
		return err
	})
	return out, err
}

// list returns one page of orders ordered by order_id, fetching one
// extra row to know whether another page follows. Both queries share a
// transaction, so each order's history matches its state.
func (s *Store) list(ctx context.Context, f orderapi.ListFilter) (page orderapi.Page, err error) {
	// A read is not part of the transaction it looks at: its span names the
	// filter under another key, so a search by dtid finds only the saga's hops.
	ctx, span := s.spans.Start(ctx, "list", "")
	span.SetAttributes(attribute.String("query.dtid", f.DTID))
	defer s.spans.End(span, &err)
	selectPage, args := database.PageQuery{
		Table: "orders", Columns: orderColumns, Key: "order_id",
		Cursor: f.Cursor, DTID: f.DTID, Limit: f.Limit,
	}.SQL()
	err = database.InTx(ctx, s.db, func(tx *sql.Tx) error {
		items, localIDs, err := scanOrders(tx.QueryContext(ctx, selectPage, args...))
		if err != nil {
			return err
		}
		if len(items) > f.Limit {
			items, localIDs = items[:f.Limit], localIDs[:f.Limit]
			page.NextCursor = items[len(items)-1].OrderID
		}
		page.Items = items
		return loadHistories(ctx, tx, items, localIDs, `SELECT id FROM (`+selectPage+`) AS page`, args...)
	})
	return page, err
}

// loadOrder reads one order and its history.
func loadOrder(ctx context.Context, q database.Queryer, orderID string) (orderapi.Order, error) {
	items, localIDs, err := scanOrders(q.QueryContext(ctx,
		`SELECT `+orderColumns+` FROM orders WHERE order_id = $1`, orderID))
	if err != nil {
		return orderapi.Order{}, err
	}
	if len(items) == 0 {
		return orderapi.Order{}, errNotFound
	}
	err = loadHistories(ctx, q, items, localIDs, "$1", localIDs[0])
	return items[0], err
}

// scanOrders reads order rows; the local ids come back separately so they
// can join the history but never sit in an orderapi.Order.
func scanOrders(rows *sql.Rows, err error) (items []orderapi.Order, localIDs []int64, _ error) {
	if err != nil {
		return nil, nil, fmt.Errorf("query orders: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p orderapi.Order
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
		p.History = []orderapi.StateChange{}
		items, localIDs = append(items, p), append(localIDs, id)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("read orders: %w", err)
	}
	return items, localIDs, nil
}

// loadHistories appends to items, whose local ids are localIDs, their
// audit rows, as refs selects them (see database.AuditTable.Load).
func loadHistories(ctx context.Context, q database.Queryer, items []orderapi.Order, localIDs []int64, refs string, args ...any) error {
	return events().Load(ctx, q, localIDs, refs, args, func(i int, row database.AuditRow) {
		items[i].History = append(items[i].History, orderapi.StateChange{State: orderapi.State(row.State), CorrelationID: row.CorrelationID, At: row.At})
	})
}
