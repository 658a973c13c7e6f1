package servicetest

import "testing"

// Event is an audit row as stored: the transaction, the state entered and
// the correlation ID of the hop that wrote it.
type Event struct{ DTID, State, CorrelationID string }

// Count returns the number of rows of table (a constant in tests).
func (e *Env) Count(t testing.TB, table string) int {
	t.Helper()
	var n int
	if err := e.DB.QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Events runs query, which selects dtid, state and correlation_id of audit
// rows in the service's own tables, and returns the rows.
func (e *Env) Events(t testing.TB, query string, args ...any) []Event {
	t.Helper()
	rows, err := e.DB.Query(query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var ev Event
		if err := rows.Scan(&ev.DTID, &ev.State, &ev.CorrelationID); err != nil {
			t.Fatal(err)
		}
		out = append(out, ev)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
