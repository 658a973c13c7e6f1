package order

import (
	"strings"

	"github.com/sagatrace/sagatrace/internal/httpserver"

	"github.com/sagatrace/sagatrace/services/order/orderapi"

	"github.com/sagatrace/sagatrace/internal/money"
)

// validate returns every problem of req at once, each naming its field.
// headerDTID is X-DTID ("" when absent); body and header must agree. The
// currency is checked like the payment's: an order is paid in its
// payment's currency.
func validateCreate(req orderapi.CreateRequest, headerDTID string) httpserver.Problems {
	var problems httpserver.Problems
	problems.CheckDTID(req.DTID, headerDTID)
	problems.CheckID("customer_id", req.CustomerID)
	problems.CheckID("payment_id", req.PaymentID)
	if req.AmountCents <= 0 || req.AmountCents > money.MaxAmountCents {
		problems.Addf("amount_cents must be from 1 to %d, got %d", money.MaxAmountCents, req.AmountCents)
	}
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
		if strings.TrimSpace(it.SKU) == "" || len(it.SKU) > orderapi.MaxSKULen {
			problems.Addf("items[%d].sku must be 1 to %d characters", i, orderapi.MaxSKULen)
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
