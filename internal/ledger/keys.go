package ledger

import (
	"errors"
	"net/http"

	"github.com/sagatrace/sagatrace/internal/auth"
	"github.com/sagatrace/sagatrace/internal/database"
	"github.com/sagatrace/sagatrace/internal/httpserver"
)

// An Idempotency-Key belongs to the caller that sent it. Keys derive from
// the DTID (ids.IdempotencyKey), so a global key space let any holder of
// the write scope who knew a DTID claim the saga's key first: the saga's
// create was then refused (idempotency-key-reused) or, worse, answered the
// other caller's entity. Scoped to the caller, the same key from two
// callers is two requests; from one caller it replays as it always did.
//
// How it is stored (version 4, callersSQL). The entity table keeps its
// UNIQUE (idempotency_key) of version 1: SQLite cannot drop an inline
// UNIQUE without rebuilding the table, and a rebuild is no migration the
// ledger can write once for good: the audit table references the entity
// table (which a rebuild must keep pointing at the new one, and PRAGMA
// foreign_keys cannot be turned off inside Migrate's transaction), and a
// service adds columns of its own in later files (payment's 0002_card)
// that a rebuild written by the ledger would have to know. So the column
// now holds, for rows written from version 4 on, the key in its caller's
// space (IdempotencyKey.stored): the caller, a unit separator, the key.
// Keys are printable ASCII (httpserver.RequireIdempotencyKey, from the
// first release), so the separator is never in a key: the last one splits
// the value, two callers' values never collide, and no value of a new row
// equals a key stored bare before. The same UNIQUE index and ON CONFLICT
// target then settle concurrent creates per caller, on both dialects.
//
// Rows written before version 4 hold the bare key and no caller (the new
// column's default, the empty string: no token has an empty subject, so
// it marks them). Their caller is unknown, so such a row keeps the rule it
// was written under: any caller sending its key replays it (same body) or
// is refused (another body). A saga in flight across the upgrade thus
// replays its charge instead of charging again. No new row is stored bare.
//
// An old build must not run beside a new one on the same database: it
// would store bare keys again, which the new build replays for everyone
// and which never conflict with the new build's rows of the same key.

// keySeparator joins a caller and its key in the stored value; it is
// outside printable ASCII, so never part of a key.
const keySeparator = "\x1f"

// legacyCaller is the caller column of a row written before keys were
// scoped (version 4's default).
const legacyCaller = ""

// IdempotencyKey is a write's Idempotency-Key in its caller's key space.
type IdempotencyKey struct {
	// Caller is the token's subject, or auth.Anonymous's when
	// authentication is disabled: then every request is one caller.
	Caller string
	// Value is the Idempotency-Key header.
	Value string
}

// stored is the value of the idempotency_key column for k.
func (k IdempotencyKey) stored() string { return k.Caller + keySeparator + k.Value }

// errNoCaller is a write that did not pass the guard: it has no caller to
// scope its key to, and is refused rather than given a shared one.
var errNoCaller = errors.New("no authenticated caller in the request context: the write route must run behind auth.Guard")

// requireIdempotencyKey returns r's Idempotency-Key (a 400 when it is
// missing or malformed) in the key space of the caller the guard admitted.
func requireIdempotencyKey(r *http.Request) (IdempotencyKey, error) {
	value, err := httpserver.RequireIdempotencyKey(r)
	if err != nil {
		return IdempotencyKey{}, err
	}
	c, ok := auth.CallerFrom(r.Context())
	if !ok || c.Subject == legacyCaller {
		return IdempotencyKey{}, errNoCaller
	}
	return IdempotencyKey{Caller: c.Subject, Value: value}, nil
}

// callersSQL is version 4: the caller of each entity, whose key space its
// idempotency_key is in (see above), empty on the rows written before. The
// same statement on both dialects; on PostgreSQL (11+) a constant default
// is not written into the existing rows, so it is quick on a large table.
func (s Schema[E, S]) callersSQL(database.Dialect) string {
	return `ALTER TABLE ` + s.Table + ` ADD COLUMN caller TEXT NOT NULL DEFAULT '';
`
}
