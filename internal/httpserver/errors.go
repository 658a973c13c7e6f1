// Package httpserver is the server side of sagatrace's HTTP APIs: errors
// as a small set of kinds mapped to RFC 9457 problems in one place, strict
// JSON decoding and request validation, the traced route wrapper that puts
// the DTID and the correlation ID of each hop into the request context,
// access logging, health endpoints, paged lists, and the one http.Server
// every component serves with. The wire types it answers with are
// internal/httpapi.
package httpserver

import "net/http"

// Kind classifies an error by what the caller should do about it. It maps
// to exactly one HTTP status, in one place (WriteError).
type Kind uint8

// The kinds. KindInternal is the zero value, so a forgotten kind is never
// mistaken for the caller's fault.
const (
	KindInternal        Kind = iota // a bug or an unexpected failure: 500
	KindInvalid                     // the request is malformed: 400
	KindNotFound                    // the resource does not exist: 404
	KindConflict                    // the request conflicts with current state: 409
	KindRefused                     // a business refusal, final for this request: 422
	KindUnavailable                 // temporarily impossible, retry later: 503
	KindUnauthenticated             // no valid credentials: 401
	KindForbidden                   // valid credentials without the right: 403
	KindTooLarge                    // the request body is over the limit: 413
	KindTooManyRequests             // the caller is over its rate: 429
	KindMisdirected                 // the server does not answer to the request's Host: 421
)

// Status returns the HTTP status of k.
func (k Kind) Status() int {
	switch k {
	case KindInvalid:
		return http.StatusBadRequest
	case KindNotFound:
		return http.StatusNotFound
	case KindConflict:
		return http.StatusConflict
	case KindRefused:
		return http.StatusUnprocessableEntity
	case KindUnavailable:
		return http.StatusServiceUnavailable
	case KindUnauthenticated:
		return http.StatusUnauthorized
	case KindForbidden:
		return http.StatusForbidden
	case KindTooLarge:
		return http.StatusRequestEntityTooLarge
	case KindTooManyRequests:
		return http.StatusTooManyRequests
	case KindMisdirected:
		return http.StatusMisdirectedRequest
	default:
		return http.StatusInternalServerError
	}
}

// Error is an error a handler wants answered with a specific problem.
// Msg is shown to the client (it becomes the problem's detail); Err, the
// cause, is only logged and recorded on the span.
type Error struct {
	Kind Kind
	Type string // slug naming the problem type, e.g. "payment-declined"
	Msg  string
	Err  error
}

// Error returns the message and, when present, the cause.
func (e *Error) Error() string {
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

// Unwrap returns the cause, so errors.Is and errors.As see through Error.
func (e *Error) Unwrap() error { return e.Err }

// Wrap returns a copy of e with cause err, for logs and spans.
func (e *Error) Wrap(err error) *Error {
	c := *e
	c.Err = err
	return &c
}

// Invalid reports a malformed request (400) of problem type typ.
func Invalid(typ, msg string) *Error { return &Error{Kind: KindInvalid, Type: typ, Msg: msg} }

// NotFound reports a missing resource (404).
func NotFound(typ, msg string) *Error { return &Error{Kind: KindNotFound, Type: typ, Msg: msg} }

// Conflict reports a request that conflicts with the current state (409).
func Conflict(typ, msg string) *Error { return &Error{Kind: KindConflict, Type: typ, Msg: msg} }

// Refused reports a business refusal (422): retrying the same request gets
// the same answer, so a saga compensates instead of retrying.
func Refused(typ, msg string) *Error { return &Error{Kind: KindRefused, Type: typ, Msg: msg} }

// Unavailable reports a temporary failure (503) the caller should retry.
func Unavailable(typ, msg string) *Error { return &Error{Kind: KindUnavailable, Type: typ, Msg: msg} }

// Unauthenticated reports a request without valid credentials (401). The
// caller sets WWW-Authenticate before answering.
func Unauthenticated(typ, msg string) *Error {
	return &Error{Kind: KindUnauthenticated, Type: typ, Msg: msg}
}

// Forbidden reports valid credentials that do not allow the request (403).
func Forbidden(typ, msg string) *Error { return &Error{Kind: KindForbidden, Type: typ, Msg: msg} }

// TooLarge reports a request body over the limit (413).
func TooLarge(typ, msg string) *Error { return &Error{Kind: KindTooLarge, Type: typ, Msg: msg} }

// TooManyRequests reports a caller over its rate (429). The caller sets
// Retry-After before answering.
func TooManyRequests(typ, msg string) *Error {
	return &Error{Kind: KindTooManyRequests, Type: typ, Msg: msg}
}

// Misdirected reports a request for a Host this server does not answer
// to (421).
func Misdirected(typ, msg string) *Error { return &Error{Kind: KindMisdirected, Type: typ, Msg: msg} }

// Internal wraps an unexpected failure (500). Its cause is never shown to
// the client.
func Internal(err error) *Error { return &Error{Kind: KindInternal, Msg: "internal error", Err: err} }
