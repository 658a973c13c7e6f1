package order

import (
	"encoding/json"
	"fmt"

	"github.com/sagatrace/sagatrace/internal/database"
	"github.com/sagatrace/sagatrace/internal/ledger"
	"github.com/sagatrace/sagatrace/services/order/orderapi"
)

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
