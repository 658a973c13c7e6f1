package paymentapi

import (
	"regexp"

	"github.com/sagatrace/sagatrace/internal/carddata"
)

// cardToken is the shape of a card processor's token: a prefix that no
// card number has, then letters, digits, '_' or '-'.
var cardToken = regexp.MustCompile(`^tok_[A-Za-z0-9_-]{4,64}$`)

// CardProblems checks a card given as a processor token and its last four
// digits: both or neither. Sagatrace never takes a card number, so one
// found in either is refused — and the problem does not repeat the value.
// The saga checks its input with it too, before any service sees it.
func CardProblems(token, last4 string) []string {
	var problems []string
	switch {
	case carddata.Contains(token):
		problems = append(problems, "card_token holds a card number: send the processor's token (tok_…) and card_last4, never the number")
	case token != "" && !cardToken.MatchString(token):
		problems = append(problems, "card_token must be a processor token: tok_ and 4 to 64 letters, digits, '_' or '-'")
	}
	switch {
	case carddata.Contains(last4):
		problems = append(problems, "card_last4 holds a card number: send only its last four digits")
	case last4 != "" && !isLast4(last4):
		problems = append(problems, "card_last4 must be exactly four digits")
	}
	if (token == "") != (last4 == "") {
		problems = append(problems, "card_token and card_last4 go together: send both or neither")
	}
	return problems
}

func isLast4(s string) bool {
	if len(s) != 4 {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
