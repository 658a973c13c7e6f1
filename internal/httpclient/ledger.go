package httpclient

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/sagatrace/sagatrace/internal/faults"
	"github.com/sagatrace/sagatrace/internal/httpapi"
)

// Ledger calls the routes every ledger service (payment, order) serves
// for its entities T: create, the compensation, get and list under
// /v1/<collection>. A service's Client wraps the writes with its own verbs
// and embeds the reads, which are the same for every service.
// Errors the server answered are *httpapi.ProblemError (find them with
// errors.As); anything else is a transport failure the caller may retry.
type Ledger[T any] struct {
	Reads[T]
}

// Reads are a ledger client's reads: Get and List.
type Reads[T any] struct {
	service string // "payment", the prefix of errors
	url     string // "http://host/v1/payments"
	hc      *http.Client
}

// NewLedger returns the client of service's collection at baseURL
// ("http://127.0.0.1:8081") using hc, typically NewHTTPClient.
func NewLedger[T any](service, baseURL, collection string, hc *http.Client) Ledger[T] {
	return Ledger[T]{Reads[T]{service: service, url: strings.TrimRight(baseURL, "/") + "/v1/" + collection, hc: hc}}
}

// Create sends req once per idempotencyKey; what names the write in
// errors ("charge"). When ctx carries no DTID, dtid is sent as X-DTID, so
// the server's span and logs carry it; a fault plan and attempt in ctx
// (internal/faults) are sent along.
func (l Ledger[T]) Create(ctx context.Context, what, idempotencyKey, dtid string, req any) (T, error) {
	var out T
	h := WriteHeaders(ctx, idempotencyKey, dtid)
	faults.SetHeaders(ctx, h)
	if err := Do(ctx, l.hc, http.MethodPost, l.url, h, req, &out); err != nil {
		var zero T
		return zero, fmt.Errorf("%s: %s: %w", l.service, what, err)
	}
	return out, nil
}

// Compensate posts to the compensation route of id ("refund"); the
// server knows the entity's DTID.
func (l Ledger[T]) Compensate(ctx context.Context, compensation, idempotencyKey, id string) (T, error) {
	var out T
	h := WriteHeaders(ctx, idempotencyKey, "")
	faults.SetHeaders(ctx, h)
	if err := Do(ctx, l.hc, http.MethodPost, l.url+"/"+url.PathEscape(id)+"/"+compensation, h, nil, &out); err != nil {
		var zero T
		return zero, fmt.Errorf("%s: %s %s: %w", l.service, compensation, id, err)
	}
	return out, nil
}

// CompensateDTID posts to the compensation route of a whole DTID: the
// service voids it and compensates every entity of it (httpapi.Voided).
func (l Ledger[T]) CompensateDTID(ctx context.Context, compensation, idempotencyKey, dtid string) (httpapi.Voided[T], error) {
	var out httpapi.Voided[T]
	h := WriteHeaders(ctx, idempotencyKey, dtid)
	faults.SetHeaders(ctx, h)
	if err := Do(ctx, l.hc, http.MethodPost, l.url+"/by-dtid/"+url.PathEscape(dtid)+"/"+compensation, h, nil, &out); err != nil {
		return httpapi.Voided[T]{}, fmt.Errorf("%s: %s dtid %s: %w", l.service, compensation, dtid, err)
	}
	return out, nil
}

// Get returns one entity with its history.
func (l Reads[T]) Get(ctx context.Context, id string) (T, error) {
	var out T
	if err := Do(ctx, l.hc, http.MethodGet, l.url+"/"+url.PathEscape(id), nil, nil, &out); err != nil {
		var zero T
		return zero, fmt.Errorf("%s: get %s: %w", l.service, id, err)
	}
	return out, nil
}

// List returns one page of entities matching q, ordered by ID (creation
// time): all of one DTID when q names one, after q.Cursor (a NextCursor
// from the previous page), at most q.Limit (0 means the default).
func (l Reads[T]) List(ctx context.Context, q httpapi.ListQuery) (httpapi.Page[T], error) {
	page, err := GetPage[T](ctx, l.hc, l.url, q)
	if err != nil {
		return httpapi.Page[T]{}, fmt.Errorf("%s: list: %w", l.service, err)
	}
	return page, nil
}
