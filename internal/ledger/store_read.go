package ledger

import (
	"context"
	"database/sql"
	"fmt"

	"go.opentelemetry.io/otel/attribute"

	"github.com/sagatrace/sagatrace/internal/database"
	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/ids"
)

// Get returns one entity with its history, or ErrNotFound.
func (s *Store[E, S]) Get(ctx context.Context, id string) (out E, err error) {
	ctx, span := s.spans.Start(ctx, "get", ids.DTIDFrom(ctx))
	defer s.spans.End(span, &err)
	err = database.InTx(ctx, s.db, func(tx *sql.Tx) error {
		out, err = s.load(ctx, tx, id)
		return err
	})
	return out, err
}

// List returns one page of entities ordered by public id, fetching one
// extra row to know whether another page follows. Both queries share a
// transaction, so each entity's history matches its state.
func (s *Store[E, S]) List(ctx context.Context, q httpapi.ListQuery) (page httpapi.Page[E], err error) {
	// A read is not part of the transaction it looks at: its span names the
	// filter under another key, so a search by dtid finds only the saga's hops.
	ctx, span := s.spans.Start(ctx, "list", "")
	span.SetAttributes(attribute.String("query.dtid", q.DTID))
	defer s.spans.End(span, &err)
	selectPage, args := database.PageQuery{
		Table: s.schema.Table, Columns: s.schema.selectColumns(), Key: s.schema.IDColumn,
		Cursor: q.Cursor, DTID: q.DTID, Limit: q.Limit,
	}.SQL()
	err = database.InTx(ctx, s.db, func(tx *sql.Tx) error {
		items, localIDs, err := s.scan(tx.QueryContext(ctx, selectPage, args...))
		if err != nil {
			return err
		}
		if len(items) > q.Limit {
			items, localIDs = items[:q.Limit], localIDs[:q.Limit]
			page.NextCursor = *s.schema.Common(&items[len(items)-1]).ID
		}
		page.Items = items
		return s.loadHistories(ctx, tx, items, localIDs, `SELECT id FROM (`+selectPage+`) AS page`, args...)
	})
	return page, err
}

// load reads one entity and its history.
func (s *Store[E, S]) load(ctx context.Context, q database.Queryer, id string) (E, error) {
	var zero E
	items, localIDs, err := s.scan(q.QueryContext(ctx,
		`SELECT `+s.schema.selectColumns()+` FROM `+s.schema.Table+` WHERE `+s.schema.IDColumn+` = $1`, id))
	if err != nil {
		return zero, err
	}
	if len(items) == 0 {
		return zero, ErrNotFound
	}
	err = s.loadHistories(ctx, q, items, localIDs, "$1", localIDs[0])
	return items[0], err
}

// scan reads entity rows; the local ids come back separately so they can
// join the history but never sit in an E.
func (s *Store[E, S]) scan(rows *sql.Rows, err error) (items []E, localIDs []int64, _ error) {
	if err != nil {
		return nil, nil, fmt.Errorf("query %s: %w", s.schema.Table, err)
	}
	defer rows.Close()
	for rows.Next() {
		var e E
		var local int64
		var created, updated string
		c := s.schema.Common(&e)
		own, decode := s.schema.Scan(&e)
		dest := append(append([]any{&local, c.ID, c.DTID}, own...), c.State, &created, &updated)
		if err := rows.Scan(dest...); err != nil {
			return nil, nil, fmt.Errorf("scan %s: %w", s.schema.Name, err)
		}
		if decode == nil {
			decode = func() error { return nil }
		}
		if err := decode(); err != nil {
			return nil, nil, fmt.Errorf("decode %s %s: %w", s.schema.Name, *c.ID, err)
		}
		if *c.CreatedAt, err = database.ParseTime(created); err != nil {
			return nil, nil, err
		}
		if *c.UpdatedAt, err = database.ParseTime(updated); err != nil {
			return nil, nil, err
		}
		*c.History = []httpapi.StateChange[S]{}
		items, localIDs = append(items, e), append(localIDs, local)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", s.schema.Table, err)
	}
	return items, localIDs, nil
}

// loadHistories appends to items, whose local ids are localIDs, their
// audit rows, as refs selects them (see database.AuditTable.Load).
func (s *Store[E, S]) loadHistories(ctx context.Context, q database.Queryer, items []E, localIDs []int64, refs string, args ...any) error {
	return s.schema.Audit.Load(ctx, q, localIDs, refs, args, func(i int, row database.AuditRow) {
		h := s.schema.Common(&items[i]).History
		*h = append(*h, httpapi.StateChange[S]{State: S(row.State), CorrelationID: row.CorrelationID, At: row.At})
	})
}
