package payment

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/sagatrace/sagatrace/services/payment/paymentapi"

	"go.opentelemetry.io/otel/attribute"

	"github.com/sagatrace/sagatrace/internal/database"
	"github.com/sagatrace/sagatrace/internal/ids"
)

// now is the store's clock, in UTC.
func now() time.Time { return time.Now().UTC() }

const paymentColumns = `id, payment_id, dtid, customer_id, amount_cents, currency, card_token, card_last4, state, created_at, updated_at`

// get returns one payment with its history, or errNotFound.
func (s *Store) get(ctx context.Context, paymentID string) (out paymentapi.Payment, err error) {
	ctx, span := s.spans.Start(ctx, "get", ids.DTIDFrom(ctx))
	defer s.spans.End(span, &err)
	err = database.InTx(ctx, s.db, func(tx *sql.Tx) error {
		out, err = loadPayment(ctx, tx, paymentID)
		return err
	})
	return out, err
}

// list returns one page of payments ordered by payment_id, fetching one
// extra row to know whether another page follows. Both queries share a
// transaction, so each payment's history matches its state.
func (s *Store) list(ctx context.Context, f paymentapi.ListFilter) (page paymentapi.Page, err error) {
	// A read is not part of the transaction it looks at: its span names the
	// filter under another key, so a search by dtid finds only the saga's hops.
	ctx, span := s.spans.Start(ctx, "list", "")
	span.SetAttributes(attribute.String("query.dtid", f.DTID))
	defer s.spans.End(span, &err)
	selectPage, args := database.PageQuery{
		Table: "payments", Columns: paymentColumns, Key: "payment_id",
		Cursor: f.Cursor, DTID: f.DTID, Limit: f.Limit,
	}.SQL()
	err = database.InTx(ctx, s.db, func(tx *sql.Tx) error {
		items, localIDs, err := scanPayments(tx.QueryContext(ctx, selectPage, args...))
		if err != nil {
			return err
		}
		if len(items) > f.Limit {
			items, localIDs = items[:f.Limit], localIDs[:f.Limit]
			page.NextCursor = items[len(items)-1].PaymentID
		}
		page.Items = items
		return loadHistories(ctx, tx, items, localIDs, `SELECT id FROM (`+selectPage+`) AS page`, args...)
	})
	return page, err
}

// loadPayment reads one payment and its history.
func loadPayment(ctx context.Context, q database.Queryer, paymentID string) (paymentapi.Payment, error) {
	items, localIDs, err := scanPayments(q.QueryContext(ctx,
		`SELECT `+paymentColumns+` FROM payments WHERE payment_id = $1`, paymentID))
	if err != nil {
		return paymentapi.Payment{}, err
	}
	if len(items) == 0 {
		return paymentapi.Payment{}, errNotFound
	}
	err = loadHistories(ctx, q, items, localIDs, "$1", localIDs[0])
	return items[0], err
}

// scanPayments reads payment rows; the local ids come back separately so
// they can join the history but never sit in a paymentapi.Payment.
func scanPayments(rows *sql.Rows, err error) (items []paymentapi.Payment, localIDs []int64, _ error) {
	if err != nil {
		return nil, nil, fmt.Errorf("query payments: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p paymentapi.Payment
		var id int64
		var created, updated string
		if err := rows.Scan(&id, &p.PaymentID, &p.DTID, &p.CustomerID, &p.AmountCents, &p.Currency,
			&p.CardToken, &p.CardLast4, &p.State, &created, &updated); err != nil {
			return nil, nil, fmt.Errorf("scan payment: %w", err)
		}
		if p.CreatedAt, err = database.ParseTime(created); err != nil {
			return nil, nil, err
		}
		if p.UpdatedAt, err = database.ParseTime(updated); err != nil {
			return nil, nil, err
		}
		p.History = []paymentapi.StateChange{}
		items, localIDs = append(items, p), append(localIDs, id)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("read payments: %w", err)
	}
	return items, localIDs, nil
}

// loadHistories appends to items, whose local ids are localIDs, their
// audit rows, as refs selects them (see database.AuditTable.Load).
func loadHistories(ctx context.Context, q database.Queryer, items []paymentapi.Payment, localIDs []int64, refs string, args ...any) error {
	return events().Load(ctx, q, localIDs, refs, args, func(i int, row database.AuditRow) {
		items[i].History = append(items[i].History, paymentapi.StateChange{State: paymentapi.State(row.State), CorrelationID: row.CorrelationID, At: row.At})
	})
}
