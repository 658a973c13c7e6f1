package order

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/sagatrace/sagatrace/internal/ids"
)

// Bounds of an order. They keep qty*price sums far from int64 overflow.
const (
	MaxAmountCents = 10_000_000_00
	MaxItems       = 100
	MaxQty         = 10_000
)

// currencies is the fixed set of ISO 4217 codes accepted, the same as the
// payment service's: an order is paid in its payment's currency.
const currencies = "USD, EUR, GBP, JPY, CHF, CAD, AUD, SEK, NOK, DKK, PLN"

func supportedCurrency(code string) bool {
	switch code {
	case "USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "SEK", "NOK", "DKK", "PLN":
		return true
	}
	return false
}

// validate returns every problem of req at once, each naming its field.
// headerDTID is X-DTID ("" when absent); body and header must agree.
func (req CreateRequest) validate(headerDTID string) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if err := ids.ValidateDTID(req.DTID); err != nil {
		add("dtid: %v", err)
	} else if headerDTID != "" && req.DTID != headerDTID {
		add("dtid %q must equal the X-DTID header %q", req.DTID, headerDTID)
	}
	for _, f := range [...]struct{ name, value string }{{"customer_id", req.CustomerID}, {"payment_id", req.PaymentID}} {
		if strings.TrimSpace(f.value) == "" {
			add("%s is required", f.name)
		} else if len(f.value) > 128 {
			add("%s is longer than 128 characters", f.name)
		}
	}
	if req.AmountCents <= 0 || req.AmountCents > MaxAmountCents {
		add("amount_cents must be from 1 to %d, got %d", MaxAmountCents, req.AmountCents)
	}
	if !supportedCurrency(req.Currency) {
		add("currency %q is not one of %s", req.Currency, currencies)
	}
	switch {
	case len(req.Items) == 0:
		add("items must hold at least one item")
	case len(req.Items) > MaxItems:
		add("items holds %d items, at most %d are allowed", len(req.Items), MaxItems)
	default:
		problems = append(problems, validateItems(req.Items, req.AmountCents)...)
	}
	return problems
}

func validateItems(items []Item, amountCents int64) []string {
	var problems []string
	var sum int64
	valid := true
	for i, it := range items {
		if strings.TrimSpace(it.SKU) == "" || len(it.SKU) > 64 {
			problems = append(problems, fmt.Sprintf("items[%d].sku must be 1 to 64 characters", i))
		}
		if it.Qty < 1 || it.Qty > MaxQty {
			problems = append(problems, fmt.Sprintf("items[%d].qty must be from 1 to %d, got %d", i, MaxQty, it.Qty))
			valid = false
		}
		if it.PriceCents < 0 || it.PriceCents > MaxAmountCents {
			problems = append(problems, fmt.Sprintf("items[%d].price_cents must be from 0 to %d, got %d", i, MaxAmountCents, it.PriceCents))
			valid = false
		}
		sum += int64(it.Qty) * it.PriceCents
	}
	// Only a sum of valid lines means anything.
	if valid && sum != amountCents {
		problems = append(problems, fmt.Sprintf("amount_cents is %d but the items add up to %d", amountCents, sum))
	}
	return problems
}

// hash fingerprints req so that a replayed Idempotency-Key can be checked
// against the request that first used it.
func (req CreateRequest) hash() string {
	b, _ := json.Marshal(req) // plain fields: cannot fail
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
