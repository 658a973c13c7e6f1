package ledger

import (
	"strings"
	"time"

	"github.com/sagatrace/sagatrace/internal/database"
	"github.com/sagatrace/sagatrace/internal/httpapi"
)

// Schema describes a service's entity table to the ledger. E is the
// entity as the API shows it (paymentapi.Payment), S its state type. The
// fields every entity has are reached through Common; the rest are the
// service's own Columns, written by Values and read by Scan.
type Schema[E any, S ~string] struct {
	// Name is the service ("payment"): the prefix of its store spans, of
	// its span attributes and its migrations' component.
	Name string
	// Table is the entity table ("payments"), IDColumn its public id
	// column ("payment_id"); constants, never input.
	Table, IDColumn string
	// Audit is the table of the state changes.
	Audit database.AuditTable
	// Columns are the service's own columns, in the order of Values and Scan.
	Columns []string
	// InitColumns is the DDL of the own columns that version 1 made (the
	// ledger's init migration), the same on both dialects; columns added
	// later come in the service's own migration files.
	InitColumns string
	// Common returns pointers to the fields every entity has.
	Common func(e *E) Common[S]
	// Values returns e's values of Columns, for the insert.
	Values func(e *E) ([]any, error)
	// Scan returns where Columns are read into e, and a function to call
	// once the row is scanned (to decode what a column stores as text), or
	// nil when there is nothing to decode.
	Scan func(e *E) (dest []any, decode func() error)
}

// Common points at the fields every ledger entity has.
type Common[S ~string] struct {
	ID        *string // the public id, a UUIDv7
	DTID      *string
	State     *S
	CreatedAt *time.Time
	UpdatedAt *time.Time
	History   *[]httpapi.StateChange[S] // audit rows, oldest first
}

// selectColumns is the column list every read selects: the local id
// first, which joins the history but never reaches an E.
func (s Schema[E, S]) selectColumns() string {
	return strings.Join(append(append([]string{"id", s.IDColumn, "dtid"}, s.Columns...), "state", "created_at", "updated_at"), ", ")
}
