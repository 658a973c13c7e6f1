package payment

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/sagatrace/sagatrace/internal/ids"
)

// MaxAmountCents caps one charge (ten million in major units): a typo'd
// amount should be refused, not charged.
const MaxAmountCents = 10_000_000_00

// currencies is the fixed set of ISO 4217 codes accepted; a switch, not a
// package-level map, so nothing global can be mutated.
const currencies = "USD, EUR, GBP, JPY, CHF, CAD, AUD, SEK, NOK, DKK, PLN"

func supportedCurrency(code string) bool {
	switch code {
	case "USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "SEK", "NOK", "DKK", "PLN":
		return true
	}
	return false
}

// validate returns every problem of req at once, each naming its field, so
// a client fixes its request in one round trip. headerDTID is X-DTID ("" when
// absent): the body and the header must agree on the transaction.
func (req ChargeRequest) validate(headerDTID string) []string {
	var problems []string
	if err := ids.ValidateDTID(req.DTID); err != nil {
		problems = append(problems, "dtid: "+err.Error())
	} else if headerDTID != "" && req.DTID != headerDTID {
		problems = append(problems, fmt.Sprintf("dtid %q must equal the X-DTID header %q", req.DTID, headerDTID))
	}
	if strings.TrimSpace(req.CustomerID) == "" {
		problems = append(problems, "customer_id is required")
	} else if len(req.CustomerID) > 128 {
		problems = append(problems, "customer_id is longer than 128 characters")
	}
	switch {
	case req.AmountCents <= 0:
		problems = append(problems, fmt.Sprintf("amount_cents must be greater than 0, got %d", req.AmountCents))
	case req.AmountCents > MaxAmountCents:
		problems = append(problems, fmt.Sprintf("amount_cents must be at most %d, got %d", MaxAmountCents, req.AmountCents))
	}
	if !supportedCurrency(req.Currency) {
		problems = append(problems, fmt.Sprintf("currency %q is not one of %s", req.Currency, currencies))
	}
	return problems
}

// hash fingerprints req so that a replayed Idempotency-Key can be checked
// against the request that first used it. JSON of a struct is canonical
// (fields in declaration order), so equal requests hash equally.
func (req ChargeRequest) hash() string {
	b, _ := json.Marshal(req) // strings and ints: cannot fail
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
