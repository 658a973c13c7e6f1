// Package ids is the one place that names sagatrace's identities and the
// headers, attributes and log keys that carry them (docs/ARCHITECTURE.md, "Identities"): the DTID of a
// business transaction, the correlation ID of one hop, and UUIDs of entities.
// Local primary keys never appear here because they never leave a service.
package ids

import (
	"fmt"
	"regexp"

	"github.com/google/uuid"

	"github.com/sagatrace/sagatrace/internal/carddata"
)

// HTTP headers between services.
const (
	HeaderDTID           = "X-DTID"
	HeaderCorrelationID  = "X-Correlation-ID"
	HeaderIdempotencyKey = "Idempotency-Key"
	HeaderFaults         = "X-Sagatrace-Faults"
)

// NATS message headers. nats.Header is case-sensitive, so these are exact.
const (
	NATSHeaderDTID          = "Dtid"
	NATSHeaderCorrelationID = "Correlation-Id"
	NATSHeaderError         = "Sagatrace-Error"
)

// Span attribute keys, also used as structured log keys (snake_case, fixed).
const (
	AttrDTID          = "dtid"
	AttrCorrelationID = "correlation_id"
	AttrStep          = "saga.step"
	AttrCompensation  = "saga.compensation"
	// AttrCompensates is, on a compensation's hop span, the correlation ID
	// of the forward hop it undoes (the span also links to that hop).
	AttrCompensates = "saga.compensates"
	AttrWorkflowID  = "temporal.workflow_id"
	AttrAttempt     = "temporal.attempt"
)

// BaggageDTID is the W3C baggage member that carries the DTID through
// Temporal headers, so that every orchestration span can be tagged with it.
const BaggageDTID = "dtid"

// SearchAttributeDTID is the Temporal keyword search attribute holding the DTID.
const SearchAttributeDTID = "DTID"

// SearchAttributeSagaStatus is the Temporal keyword search attribute
// holding a saga's status (running, compensation_failed, …), kept current
// by the saga, so parked sagas are found with one visibility query.
const SearchAttributeSagaStatus = "SagaStatus"

// MaxDTIDLen bounds a DTID: it is a tag, a column and a search attribute value.
const MaxDTIDLen = 128

var dtidPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]*$`)

// NewDTID returns a fresh DTID: a UUIDv7, so DTIDs sort by creation time.
func NewDTID() string { return NewUUID() }

// NewUUID returns a UUIDv7 string, for entity ids and event ids.
func NewUUID() string {
	// NewV7 can fail only if crypto/rand fails, and since Go 1.24 crypto/rand
	// never returns an error (it aborts the process instead), so Must is safe.
	return uuid.Must(uuid.NewV7()).String()
}

// ValidateDTID reports why s cannot be a DTID, or nil. DTIDs come from users
// (the Temporal CLI's workflow ID, --dtid), so they are checked, not trusted.
// A DTID becomes a workflow ID, a search attribute, a column and a span tag
// everywhere, so one holding a card number is refused before anything else
// is said about it, and the error never repeats it.
func ValidateDTID(s string) error {
	// The card check comes first: the format's error repeats the DTID.
	if len(s) <= MaxDTIDLen && carddata.Contains(s) {
		return fmt.Errorf("dtid holds a card number; use an opaque ID (sagatrace makes UUIDv7s) and never a card number")
	}
	return ValidateDTIDFormat(s)
}

// ValidateDTIDFormat is ValidateDTID without the card-number check: the
// rule sagas started before that check keep when they replay.
func ValidateDTIDFormat(s string) error {
	switch {
	case s == "":
		return fmt.Errorf("dtid is empty")
	case len(s) > MaxDTIDLen:
		return fmt.Errorf("dtid is %d characters long, at most %d are allowed", len(s), MaxDTIDLen)
	case !dtidPattern.MatchString(s):
		return fmt.Errorf("dtid %q may hold only letters, digits and . _ : - (and must start with a letter or digit)", s)
	}
	return nil
}

// idempotencyNamespace scopes the name-based UUIDs of IdempotencyKey.
var idempotencyNamespace = uuid.MustParse("5f0c7a6e-8f5e-4c55-9d2b-2b7b4f0b1e11")

// IdempotencyKey derives the Idempotency-Key of one saga step from the DTID:
// every retry, and a second start of the same DTID, sends the same key, so a
// service applies the step once.
func IdempotencyKey(dtid, step string) string {
	return uuid.NewSHA1(idempotencyNamespace, []byte(dtid+"/"+step)).String()
}

// Operation names one kind of hop, "<service>.<verb>" (payment.charge,
// order.cancel): the hop span's name, the key of a fault plan, and the
// step an idempotency key is derived for. Each service's contract package
// declares its own; the saga's step table lists which it calls.
type Operation string
