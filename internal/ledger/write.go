package ledger

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/sagatrace/sagatrace/internal/faults"
	"github.com/sagatrace/sagatrace/internal/faults/faulthttp"
	"github.com/sagatrace/sagatrace/internal/httpserver"
	"github.com/sagatrace/sagatrace/internal/ids"
)

// Writes to a service — a charge, an order — are retried by sagas, so each
// carries an Idempotency-Key: the same key and body answer the same
// resource, however often they are sent.

// WriteRequest is a write as a handler sees it once DecodeWrite accepted
// it: its Idempotency-Key in its caller's key space (keys.go), its
// validated body and its honoured fault plan, and, once the create route
// has computed it, the body's Fingerprint.
type WriteRequest[T any] struct {
	Key         IdempotencyKey
	Body        T
	Faults      faults.Plan
	Fingerprint string
}

// DecodeWrite reads a write request in the order every service checks it:
// the Idempotency-Key is required (in the key space of the caller the
// guard put in r's context), then the JSON body (at most maxBytes) must
// decode and pass validate (which also gets the X-DTID header, for the
// body to agree with), and last the fault plan must parse under gate.
// The error, when any, is the 400 to answer, or a 500 when r has no caller
// (the route is not behind the guard): never a key space shared by all.
func DecodeWrite[T any](w http.ResponseWriter, r *http.Request, maxBytes int64, gate *faulthttp.Gate,
	validate func(body T, headerDTID string) httpserver.Problems) (WriteRequest[T], error) {
	var req WriteRequest[T]
	var err error
	if req.Key, err = requireIdempotencyKey(r); err != nil {
		return req, err
	}
	if err := httpserver.DecodeJSON(w, r, &req.Body, maxBytes); err != nil {
		return req, err
	}
	if err := validate(req.Body, r.Header.Get(ids.HeaderDTID)).Err(); err != nil {
		return req, err
	}
	req.Faults, err = gate.Plan(r)
	return req, err
}

// Fingerprint hashes a decoded request so that a replayed Idempotency-Key
// can be checked against the request that first used it. JSON of a struct
// is canonical (fields in declaration order, map keys sorted), so equal
// requests hash equally.
func Fingerprint(req any) (string, error) {
	b, err := json.Marshal(req)
	if err != nil {
		return "", fmt.Errorf("fingerprint request: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}
