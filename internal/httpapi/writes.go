package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/sagatrace/sagatrace/internal/ids"
)

// Writes to a service — a charge, an order — are retried by sagas, so each
// carries an Idempotency-Key: the same key and body answer the same
// resource, however often they are sent. This file holds both sides of
// that contract that the services share.

// WriteRequest is a write as a handler sees it once DecodeWrite accepted
// it: its Idempotency-Key, its validated body and its honoured fault plan.
type WriteRequest[T any] struct {
	Key    string
	Body   T
	Faults Faults
}

// DecodeWrite reads a write request in the order every service checks it:
// the Idempotency-Key is required, then the JSON body (at most maxBytes)
// must decode and pass validate (which also gets the X-DTID header, for
// the body to agree with), and last the fault plan must parse under gate.
// The error, when any, is the 400 to answer.
func DecodeWrite[T any](w http.ResponseWriter, r *http.Request, maxBytes int64, gate *FaultGate,
	validate func(body T, headerDTID string) Problems) (WriteRequest[T], error) {
	var req WriteRequest[T]
	var err error
	if req.Key, err = RequireIdempotencyKey(r); err != nil {
		return req, err
	}
	if err := DecodeJSON(w, r, &req.Body, maxBytes); err != nil {
		return req, err
	}
	if err := validate(req.Body, r.Header.Get(ids.HeaderDTID)).Err(); err != nil {
		return req, err
	}
	req.Faults, err = gate.Plan(r)
	return req, err
}

// WriteCreated answers a write with v: 201 Created with a Location of
// location when this request created the resource, 200 OK when it
// replayed an earlier request with the same key.
func WriteCreated(w http.ResponseWriter, created bool, location string, v any) error {
	if !created {
		return WriteJSON(w, http.StatusOK, v)
	}
	w.Header().Set("Location", location)
	return WriteJSON(w, http.StatusCreated, v)
}

// WriteHeaders returns the headers of a write to a service: its
// Idempotency-Key and, when ctx carries no DTID (a caller outside a saga
// hop), X-DTID set to dtid, so the server's span and logs carry the
// transaction anyway. dtid may be "" when the server finds it itself.
func WriteHeaders(ctx context.Context, idempotencyKey, dtid string) http.Header {
	h := http.Header{ids.HeaderIdempotencyKey: {idempotencyKey}}
	if ids.DTIDFrom(ctx) == "" && dtid != "" {
		h.Set(ids.HeaderDTID, dtid)
	}
	return h
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
