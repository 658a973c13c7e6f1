package order

import (
	"context"
	"errors"
	"fmt"

	"github.com/sagatrace/sagatrace/internal/faults"
	"github.com/sagatrace/sagatrace/internal/httpserver"
	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/ledger"
	"github.com/sagatrace/sagatrace/services/order/orderapi"
)

// cancelNext is the order lifecycle, as the ledger's compensation asks it:
// a confirmed order is cancelled; a cancelled one has nothing more to
// compensate. Orders are created confirmed, so there is no other move.
func cancelNext(from orderapi.State) (orderapi.State, bool) {
	if from == orderapi.StateConfirmed {
		return orderapi.StateCancelled, true
	}
	return from, false
}

// create confirms the order named by the request's key, or returns the one
// an earlier request with the same key created. A new order is confirmed
// only after its payment was read and found to pay for it
// (checkPayment); a replay is not checked again, since the check ran when
// the order was created and a later refund is the compensation's to undo.
// A rejected order writes nothing, so the key stays free: the saga
// compensates and never retries it anyway.
func create(ctx context.Context, store *Store, payments Payments, req ledger.WriteRequest[orderapi.CreateRequest]) (orderapi.Order, bool, error) {
	// A replay answers what the first request got, whatever its faults say.
	existing, err := store.ByKey(ctx, req.Key, req.Fingerprint)
	switch {
	case err == nil:
		return existing, false, nil
	case !errors.Is(err, ledger.ErrNotFound): // ErrKeyReused among them
		return orderapi.Order{}, false, fmt.Errorf("look up idempotency key: %w", err)
	}
	if req.Faults.Has(orderapi.OpCreate, faults.Error) {
		return orderapi.Order{}, false, httpserver.Refused(orderapi.TypeOrderRejected, "the order was rejected (injected fault "+string(orderapi.OpCreate)+")")
	}
	b := req.Body
	if err := checkPayment(ctx, payments, b); err != nil {
		return orderapi.Order{}, false, err
	}
	o, created, err := store.Create(ctx, req.Key, req.Fingerprint, orderapi.Order{
		OrderID: ids.NewUUID(), CreateRequest: b, State: orderapi.StateConfirmed,
	}, ids.CorrelationIDFrom(ctx))
	if err != nil { // ErrKeyReused when a concurrent request won with another body
		return orderapi.Order{}, false, fmt.Errorf("record order: %w", err)
	}
	return o, created, nil
}
