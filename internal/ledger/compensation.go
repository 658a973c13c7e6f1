package ledger

import (
	"context"
	"fmt"

	"github.com/sagatrace/sagatrace/internal/faults"
	"github.com/sagatrace/sagatrace/internal/httpserver"
	"github.com/sagatrace/sagatrace/internal/ids"
)

// maxSteps bounds the state loops. States only move forward and no
// lifecycle has more than a handful, so a loop that has not settled after
// this many rounds has a bug.
const maxSteps = 8

// Compensation is what undoes a service's step for the saga: a refund, a
// cancel.
type Compensation[S ~string] struct {
	// Path is the route's last segment, "refund".
	Path string
	// Operation is the compensation's operation, "payment.refund": the key
	// of its faults, whose error kind answers 503 Unavailable with
	// UnavailableType and UnavailableDetail.
	Operation                          ids.Operation
	UnavailableType, UnavailableDetail string
	// Next is the service's lifecycle for the compensation: the state an
	// entity in from moves to, or ok false when from is final and there is
	// nothing (more) to compensate — a declined payment has nothing to refund.
	Next func(from S) (to S, ok bool)
}

// compensate compensates e's step: every state from which Next moves is moved by
// compare-and-set (a step still in flight then stops at its own next
// compare-and-set); a final one is returned unchanged. moved reports
// whether this request made the change.
func compensate[E any, S ~string](ctx context.Context, c Compensation[S], store *Store[E, S], e E, plan faults.Plan) (out E, moved bool, err error) {
	id := *store.schema.Common(&e).ID
	for range maxSteps {
		from := *store.schema.Common(&e).State
		to, ok := c.Next(from)
		if !ok {
			return e, moved, nil
		}
		// Checked only when a change would happen: an outage does not
		// matter to a finished compensation.
		if plan.Has(c.Operation, faults.Error) {
			return out, false, httpserver.Unavailable(c.UnavailableType, c.UnavailableDetail)
		}
		var changed bool
		if e, changed, err = store.Advance(ctx, id, from, to, ids.CorrelationIDFrom(ctx)); err != nil {
			return out, false, fmt.Errorf("%s %s %s: %w", c.Path, store.schema.Name, id, err)
		}
		moved = moved || changed
	}
	return out, false, fmt.Errorf("%s of %s %s did not settle after %d steps", c.Path, store.schema.Name, id, maxSteps)
}
