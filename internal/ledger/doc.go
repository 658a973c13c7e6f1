// Package ledger is what the payment and order services share: a table of
// entities (payments, orders) that a saga step creates once per
// Idempotency-Key and moves through states by compare-and-set, each change
// written with an audit row carrying the DTID and the correlation ID of the
// hop that made it, and the HTTP routes over that table (create, the
// compensation, get and list), behind auth, rate and body limits and the
// fault gate. A service brings what is its own: its columns (Schema), its
// validation, the step that creates an entity (API.Create) and its
// lifecycle, as a pure function from state to state.
//
// # The common shape of a ledger's tables
//
// Each service's migrations create two tables of this shape (the files
// stay the service's own: an applied migration is never rewritten, and the
// two dialects differ in their identity columns):
//
//	<entities> (
//	    id              local key, never leaves the service
//	    <entity>_id     TEXT UNIQUE, the public UUIDv7, COLLATE "C" on PostgreSQL (pages are keyset on it)
//	    dtid            TEXT
//	    ... the service's own columns ...
//	    state           TEXT
//	    idempotency_key TEXT UNIQUE, which settles concurrent identical creates: the caller's key (keys.go)
//	    caller          TEXT, the token subject whose key space idempotency_key is in (version 4)
//	    request_hash    TEXT, the Fingerprint of the creating request
//	    created_at, updated_at TEXT (database.FormatTime)
//	)
//	INDEX (dtid, <entity>_id)
//	<entity>_events (id, <ref> → <entities>.id, dtid, state, correlation_id, created_at)
//	INDEX (<ref>, id), INDEX (dtid)
//
// The SQL runs on SQLite and PostgreSQL alike ($n placeholders, ON
// CONFLICT, RETURNING, TEXT timestamps).
package ledger
