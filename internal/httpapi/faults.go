package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/sagatrace/sagatrace/internal/ids"
)

// FaultError is the fault kind that makes an operation fail.
const FaultError = "error"

// TypeInvalidFaults is the problem type of a malformed fault plan.
const TypeInvalidFaults = "invalid-faults"

var faultOp = regexp.MustCompile(`^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$`)

// Faults is a parsed fault plan: operation ("payment.charge") → kind
// ("error"). The zero value injects nothing.
type Faults map[string]string

// ParseFaults parses a plan like "payment.charge=error,order.create=error".
// Empty entries and surrounding spaces are ignored; anything else malformed
// is an error, so a typo in a drill does not silently test nothing.
func ParseFaults(plan string) (Faults, error) {
	f := Faults{}
	for entry := range strings.SplitSeq(plan, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		op, kind, ok := strings.Cut(entry, "=")
		op, kind = strings.TrimSpace(op), strings.TrimSpace(kind)
		if !ok || !faultOp.MatchString(op) || kind == "" {
			return nil, fmt.Errorf("fault %q is not op=kind (e.g. payment.charge=error)", entry)
		}
		f[op] = kind
	}
	return f, nil
}

// Has reports whether the plan injects kind into op.
func (f Faults) Has(op, kind string) bool { return f[op] == kind }

// String renders the plan in the header's format, sorted for stable output.
func (f Faults) String() string {
	parts := make([]string, 0, len(f))
	for op, kind := range f {
		parts = append(parts, op+"="+kind)
	}
	slices.Sort(parts)
	return strings.Join(parts, ",")
}

type faultsKey struct{}

// WithFaults returns ctx whose outgoing calls (through Do) carry plan in
// X-Sagatrace-Faults.
func WithFaults(ctx context.Context, plan string) context.Context {
	return context.WithValue(ctx, faultsKey{}, plan)
}

// FaultsFrom returns the plan set by WithFaults, or "".
func FaultsFrom(ctx context.Context) string {
	s, _ := ctx.Value(faultsKey{}).(string)
	return s
}

// FaultGate decides whether a request's fault plan is honoured. Production
// must not let a header break payments, so plans count only when Enabled;
// otherwise they are ignored and the first one is logged, once per gate,
// to explain why a drill injected nothing. Use it as a field; do not copy.
type FaultGate struct {
	Enabled bool
	Logger  *slog.Logger
	warn    sync.Once
}

// Plan returns the request's honoured fault plan: empty when the gate is
// disabled or the header absent, a KindInvalid error when it is malformed.
func (g *FaultGate) Plan(r *http.Request) (Faults, error) {
	header := r.Header.Get(ids.HeaderFaults)
	if header == "" {
		return Faults{}, nil
	}
	if !g.Enabled {
		g.warn.Do(func() {
			if g.Logger == nil {
				return
			}
			g.Logger.WarnContext(r.Context(), "fault injection is disabled; ignoring the "+ids.HeaderFaults+" header",
				slog.String("faults", header))
		})
		return Faults{}, nil
	}
	f, err := ParseFaults(header)
	if err != nil {
		return nil, Invalid(TypeInvalidFaults, "header "+ids.HeaderFaults+": "+err.Error())
	}
	return f, nil
}
