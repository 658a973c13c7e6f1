package order

import (
	"context"
	"errors"
	"fmt"

	"github.com/sagatrace/sagatrace/internal/httpserver"
	"github.com/sagatrace/sagatrace/internal/ledger"

	"github.com/sagatrace/sagatrace/services/order/orderapi"

	"github.com/sagatrace/sagatrace/internal/faults"
	"github.com/sagatrace/sagatrace/internal/ids"
)

// maxSteps bounds the cancel loop: an order has two states, so a loop that
// has not settled after this many rounds has a bug.
const maxSteps = 4

// create confirms the order named by key, or returns the one an earlier
// request with the same key created. A rejected order writes nothing, so
// the key stays free: the saga compensates and never retries it anyway.
func (s *Server) create(ctx context.Context, key string, req orderapi.CreateRequest, plan faults.Plan) (orderapi.Order, bool, error) {
	hash, err := ledger.Fingerprint(req)
	if err != nil {
		return orderapi.Order{}, false, err
	}
	// A replay answers what the first request got, whatever its faults say.
	existing, err := s.store.byKey(ctx, key, hash)
	switch {
	case err == nil:
		return existing, false, nil
	case errors.Is(err, errKeyReused):
		return orderapi.Order{}, false, keyReused()
	case !errors.Is(err, errNotFound):
		return orderapi.Order{}, false, fmt.Errorf("look up idempotency key: %w", err)
	}
	if plan.Has(orderapi.FaultCreate, faults.Error) {
		return orderapi.Order{}, false, httpserver.Refused(orderapi.TypeOrderRejected, "the order was rejected (injected fault "+orderapi.FaultCreate+")")
	}
	t := now()
	o, created, err := s.store.create(ctx, key, hash, orderapi.Order{
		OrderID:     ids.NewUUID(),
		DTID:        req.DTID,
		CustomerID:  req.CustomerID,
		PaymentID:   req.PaymentID,
		AmountCents: req.AmountCents,
		Currency:    req.Currency,
		Items:       req.Items,
		State:       orderapi.StateConfirmed,
		CreatedAt:   t,
		UpdatedAt:   t,
	}, ids.CorrelationIDFrom(ctx))
	switch {
	case errors.Is(err, errKeyReused): // a concurrent request won with another body
		return orderapi.Order{}, false, keyReused()
	case err != nil:
		return orderapi.Order{}, false, fmt.Errorf("record order: %w", err)
	}
	return o, created, nil
}

func keyReused() error {
	return httpserver.Refused(orderapi.TypeIdempotencyKeyReused,
		"Idempotency-Key was already used for a different order; use a new key for a new order")
}

// cancel cancels an order; a cancelled order is returned unchanged.
// cancelled reports whether this request made the change.
func (s *Server) cancel(ctx context.Context, orderID string, plan faults.Plan) (o orderapi.Order, cancelled bool, err error) {
	o, err = s.store.get(ctx, orderID)
	if errors.Is(err, errNotFound) {
		return orderapi.Order{}, false, httpserver.NotFound(orderapi.TypeOrderNotFound, fmt.Sprintf("no order %q", orderID))
	}
	if err != nil {
		return orderapi.Order{}, false, fmt.Errorf("read order %s: %w", orderID, err)
	}
	if ids.DTIDFrom(ctx) == "" {
		ctx = httpserver.BindDTID(ctx, o.DTID)
	}
	for range maxSteps {
		if o.State == orderapi.StateCancelled {
			return o, cancelled, nil
		}
		// Checked only when a change would happen: a finished cancel is
		// not affected by an outage.
		if plan.Has(orderapi.FaultCancel, faults.Error) {
			return orderapi.Order{}, false, httpserver.Unavailable(orderapi.TypeCancelUnavailable, "the order cannot be cancelled right now; retry later")
		}
		var moved bool
		if o, moved, err = s.store.advance(ctx, orderID, o.State, orderapi.StateCancelled, ids.CorrelationIDFrom(ctx)); err != nil {
			return orderapi.Order{}, false, fmt.Errorf("cancel order %s: %w", orderID, err)
		}
		cancelled = cancelled || moved
	}
	return orderapi.Order{}, false, fmt.Errorf("cancel of order %s did not settle after %d steps", orderID, maxSteps)
}
