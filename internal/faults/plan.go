package faults

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/sagatrace/sagatrace/internal/ids"
)

// Header names. The plan's header, X-Sagatrace-Faults, is ids.HeaderFaults;
// the attempt number only matters to faults, so it is named here.
const HeaderAttempt = "X-Sagatrace-Attempt"

var operationPattern = regexp.MustCompile(`^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$`)

// Plan is a fault plan as one request carries it: the fault of each
// operation, and which attempt at its operation the request is (0 when the
// caller did not say). The zero value injects nothing.
type Plan struct {
	ops     map[string]Fault
	attempt int
}

// Parse reads a plan like "payment.charge=transient:2,order.create=error".
// Empty entries and spaces around them are ignored; anything else
// malformed is an error.
func Parse(plan string) (Plan, error) {
	p := Plan{ops: map[string]Fault{}}
	for entry := range strings.SplitSeq(plan, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		op, kind, ok := strings.Cut(entry, "=")
		op = strings.TrimSpace(op)
		if !ok || !operationPattern.MatchString(op) {
			return Plan{}, fmt.Errorf("fault %q is not operation=kind (e.g. payment.charge=error)", entry)
		}
		f, err := ParseFault(kind)
		if err != nil {
			return Plan{}, fmt.Errorf("operation %s: %w", op, err)
		}
		p.ops[op] = f
	}
	return p, nil
}

// FromMap parses a saga's faults map (operation → kind), as the saga input
// holds it.
func FromMap(m map[string]string) (Plan, error) {
	return Parse(Format(m))
}

// Format renders a saga's faults map as the header value, sorted so the
// same plan always reads the same.
func Format(m map[string]string) string {
	parts := make([]string, 0, len(m))
	for _, op := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, op+"="+m[op])
	}
	return strings.Join(parts, ",")
}

// For returns the fault of op, or the zero Fault.
func (p Plan) For(op ids.Operation) Fault { return p.ops[string(op)] }

// Has reports whether op's fault is of kind k.
func (p Plan) Has(op ids.Operation, k Kind) bool { return p.ops[string(op)].Kind == k }

// Len is the number of operations with a fault.
func (p Plan) Len() int { return len(p.ops) }

// Attempt is the caller's attempt at the operation, counting from 1; 0
// when unknown.
func (p Plan) Attempt() int { return p.attempt }

// WithAttempt returns p as seen by attempt n.
func (p Plan) WithAttempt(n int) Plan {
	p.attempt = n
	return p
}

// String renders the plan in the header's format, sorted.
func (p Plan) String() string {
	parts := make([]string, 0, len(p.ops))
	for _, op := range slices.Sorted(maps.Keys(p.ops)) {
		parts = append(parts, op+"="+p.ops[op].String())
	}
	return strings.Join(parts, ",")
}
