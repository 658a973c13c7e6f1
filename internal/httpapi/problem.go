// Package httpapi is the wire contract every sagatrace service shares: the
// RFC 9457 problem an error is answered with, the problem types a client
// may branch on, paged lists, and the bounds both sides check. It holds no
// server and no client; internal/httpserver answers with it and
// internal/httpclient reads it, so a service's contract package can name
// these types without pulling either in.
package httpapi

import "strings"

// ContentTypeProblem is the media type of RFC 9457 problem details.
const ContentTypeProblem = "application/problem+json"

// ProblemTypeBase prefixes a problem slug to make the problem's type URI.
// RFC 9457 wants an absolute URI; clients compare it as a string and never
// need to dereference it.
const ProblemTypeBase = "https://sagatrace.dev/problems/"

// Problem types every service may answer with; each service's contract
// package adds its own.
const (
	TypeInvalidBody           = "invalid-body"
	TypeInvalidField          = "invalid-field"
	TypeInvalidIdempotencyKey = "invalid-idempotency-key"
	// TypeBodyTooLarge is answered with 413 when a body is over the limit.
	TypeBodyTooLarge = "body-too-large"
	// TypeRouteNotFound is the problem type for a path no route serves.
	TypeRouteNotFound = "route-not-found"
	// TypeNotReady is answered by /readyz while a dependency is down.
	TypeNotReady = "not-ready"
	// TypeInvalidFaults is the problem type of a malformed fault plan.
	TypeInvalidFaults = "invalid-faults"
	// TypeInjectedFault is the problem type of an injected failure.
	TypeInjectedFault = "injected-fault"
	// TypeDTIDVoided is a ledger service's 409 for a create whose DTID a
	// compensation voided there: final, nothing was written.
	TypeDTIDVoided = "dtid-voided"
)

// Bounds both sides of an API check.
const (
	// MaxIDLen bounds the identifiers a client names in a body
	// (customer_id, payment_id, a SKU): longer is a bug on the client's
	// side, not an ID.
	MaxIDLen = 128
	// MaxIdempotencyKeyLen bounds the Idempotency-Key header: it is stored
	// in a unique column.
	MaxIdempotencyKeyLen = 255
)

// Problem is an RFC 9457 problem details object, with the two identities
// every sagatrace answer carries as extension members.
type Problem struct {
	Type          string `json:"type"`
	Title         string `json:"title"`
	Status        int    `json:"status"`
	Detail        string `json:"detail,omitempty"`
	Instance      string `json:"instance,omitempty"`
	DTID          string `json:"dtid,omitempty"`
	CorrelationID string `json:"correlation_id,omitempty"`
}

// Slug returns the problem type without ProblemTypeBase, "" for about:blank.
func (p *Problem) Slug() string {
	if p.Type == "about:blank" {
		return ""
	}
	return strings.TrimPrefix(p.Type, ProblemTypeBase)
}
