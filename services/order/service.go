package order

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"go.opentelemetry.io/otel/trace"

	"github.com/sagatrace/sagatrace/internal/carddata"
	"github.com/sagatrace/sagatrace/internal/database"
	"github.com/sagatrace/sagatrace/internal/httpserver"
	"github.com/sagatrace/sagatrace/internal/ledger"
	"github.com/sagatrace/sagatrace/internal/money"
	"github.com/sagatrace/sagatrace/services/order/orderapi"
)

// Config is the order server's configuration.
type Config = ledger.Config

// Handler returns the constructor of the order API that checks every new
// order's payment with payments (see checkPayment): it migrates db to the
// order schema and serves the ledger's routes, with the confirmation as
// the create step. A nil payments is refused: an order service that
// cannot read payments must not confirm orders at all.
func Handler(payments Payments) func(ctx context.Context, db *sql.DB, cfg Config, tp trace.TracerProvider, logger *slog.Logger) (http.Handler, error) {
	return func(ctx context.Context, db *sql.DB, cfg Config, tp trace.TracerProvider, logger *slog.Logger) (http.Handler, error) {
		if payments == nil {
			return nil, errors.New("order: no payment service to check orders against: every order's payment is read before it is confirmed")
		}
		return ledger.Open(ctx, db, cfg, schema(), nil, func(store *Store) api { return newAPI(store, payments) }, tp, logger)
	}
}

// api is the order service's ledger API.
type api = ledger.API[orderapi.Order, orderapi.State, orderapi.CreateRequest]

func newAPI(store *Store, payments Payments) api {
	a := api{
		Audience: orderapi.Audience, Collection: "orders", Noun: "order", Store: store,
		Operation: orderapi.OpCreate,
		Validate:  validateCreate,
		DTIDOf:    func(r orderapi.CreateRequest) string { return r.DTID },
		Create: func(ctx context.Context, req ledger.WriteRequest[orderapi.CreateRequest]) (orderapi.Order, bool, error) {
			return create(ctx, store, payments, req)
		},
		Compensation: ledger.Compensation[orderapi.State]{
			Path: "cancel", Operation: orderapi.OpCancel, Next: cancelNext,
			UnavailableType:   orderapi.TypeCancelUnavailable,
			UnavailableDetail: "the order cannot be cancelled right now; retry later",
		},
	}
	a.Scopes.Write, a.Scopes.Compensate, a.Scopes.Read = orderapi.ScopeWrite, orderapi.ScopeCancel, orderapi.ScopeRead
	a.Problems.NotFound, a.Problems.KeyReused = orderapi.TypeOrderNotFound, orderapi.TypeIdempotencyKeyReused
	return a
}

// Store keeps orders and their audit rows (see ledger.Store).
type Store = ledger.Store[orderapi.Order, orderapi.State]

// schema is the orders table as the ledger sees it; the ledger writes
// all its migrations. The items are one column of JSON, an array of
// {sku, qty, price_cents}: they are only ever read with their order. The audit
// table's column is order_ref because ORDER is an SQL keyword.
func schema() ledger.Schema[orderapi.Order, orderapi.State] {
	return ledger.Schema[orderapi.Order, orderapi.State]{
		Name: "order", Table: "orders", IDColumn: "order_id",
		Audit:   database.AuditTable{Name: "order_events", Ref: "order_ref"},
		Columns: []string{"customer_id", "payment_id", "amount_cents", "currency", "items"},
		InitColumns: `customer_id TEXT NOT NULL,
			payment_id TEXT NOT NULL,
			amount_cents BIGINT NOT NULL CHECK (amount_cents > 0),
			currency TEXT NOT NULL,
			items TEXT NOT NULL`,
		Common: func(o *orderapi.Order) ledger.Common[orderapi.State] {
			return ledger.Common[orderapi.State]{ID: &o.OrderID, DTID: &o.DTID, State: &o.State,
				CreatedAt: &o.CreatedAt, UpdatedAt: &o.UpdatedAt, History: &o.History}
		},
		Values: func(o *orderapi.Order) ([]any, error) {
			items, err := json.Marshal(o.Items)
			if err != nil {
				return nil, fmt.Errorf("encode items: %w", err)
			}
			return []any{o.CustomerID, o.PaymentID, o.AmountCents, o.Currency, string(items)}, nil
		},
		Scan: func(o *orderapi.Order) ([]any, func() error) {
			var items string
			return []any{&o.CustomerID, &o.PaymentID, &o.AmountCents, &o.Currency, &items}, func() error {
				if err := json.Unmarshal([]byte(items), &o.Items); err != nil {
					return fmt.Errorf("decode items: %w", err)
				}
				return nil
			}
		},
	}
}

// validateCreate returns every problem of req at once, each naming its field.
// headerDTID is X-DTID ("" when absent); body and header must agree. The
// currency is checked like the payment's: an order is paid in its
// payment's currency.
func validateCreate(req orderapi.CreateRequest, headerDTID string) httpserver.Problems {
	var problems httpserver.Problems
	problems.CheckDTID(req.DTID, headerDTID)
	problems.CheckID("customer_id", req.CustomerID)
	problems.CheckID("payment_id", req.PaymentID)
	problems.Add(money.CheckAmount("amount_cents", req.AmountCents))
	problems.Add(money.CheckCurrency(req.Currency))
	switch {
	case len(req.Items) == 0:
		problems.Addf("items must hold at least one item")
	case len(req.Items) > orderapi.MaxItems:
		problems.Addf("items holds %d items, at most %d are allowed", len(req.Items), orderapi.MaxItems)
	default:
		validateItems(&problems, req.Items, req.AmountCents)
	}
	return problems
}

// validateItems adds the problems of each line and, when every line is
// valid, checks that they add up to amountCents.
func validateItems(problems *httpserver.Problems, items []orderapi.Item, amountCents int64) {
	var sum int64
	valid := true
	for i, it := range items {
		switch {
		case strings.TrimSpace(it.SKU) == "" || len(it.SKU) > orderapi.MaxSKULen:
			problems.Addf("items[%d].sku must be 1 to %d characters", i, orderapi.MaxSKULen)
		case carddata.Contains(it.SKU):
			// An SKU is free text a shop fills in, so a card number pasted
			// into it would be stored with the order; the problem does not
			// repeat it.
			problems.Addf("items[%d].sku holds a card number; an SKU names a product, never a card", i)
		}
		if it.Qty < 1 || it.Qty > orderapi.MaxQty {
			problems.Addf("items[%d].qty must be from 1 to %d, got %d", i, orderapi.MaxQty, it.Qty)
			valid = false
		}
		if it.PriceCents < 0 || it.PriceCents > money.MaxAmountCents {
			problems.Addf("items[%d].price_cents must be from 0 to %d, got %d", i, money.MaxAmountCents, it.PriceCents)
			valid = false
		}
		sum += int64(it.Qty) * it.PriceCents
	}
	// Only a sum of valid lines means anything.
	if valid && sum != amountCents {
		problems.Addf("amount_cents is %d but the items add up to %d", amountCents, sum)
	}
}
