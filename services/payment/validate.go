package payment

import (
	"github.com/sagatrace/sagatrace/internal/httpserver"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"

	"github.com/sagatrace/sagatrace/internal/money"
)

// validate returns every problem of req at once, each naming its field, so
// a client fixes its request in one round trip. headerDTID is X-DTID ("" when
// absent): the body and the header must agree on the transaction.
func validateCharge(req paymentapi.ChargeRequest, headerDTID string) httpserver.Problems {
	var problems httpserver.Problems
	problems.CheckDTID(req.DTID, headerDTID)
	problems.CheckID("customer_id", req.CustomerID)
	switch {
	case req.AmountCents <= 0:
		problems.Addf("amount_cents must be greater than 0, got %d", req.AmountCents)
	case req.AmountCents > money.MaxAmountCents:
		problems.Addf("amount_cents must be at most %d, got %d", money.MaxAmountCents, req.AmountCents)
	}
	problems.Add(money.CheckCurrency(req.Currency))
	for _, p := range paymentapi.CardProblems(req.CardToken, req.CardLast4) {
		problems.Add(p)
	}
	return problems
}
