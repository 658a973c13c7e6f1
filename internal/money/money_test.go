package money

import (
	"strings"
	"testing"
)

func TestCurrencies(t *testing.T) {
	tests := []struct {
		name   string
		code   string
		wantOK bool
	}{
		{name: "dollar", code: "USD", wantOK: true},
		{name: "zloty", code: "PLN", wantOK: true},
		{name: "lower_case", code: "usd"},
		{name: "unknown_code", code: "XXX"},
		{name: "crypto", code: "BTC"},
		{name: "padded", code: " EUR"},
		{name: "empty", code: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsCurrency(tt.code); got != tt.wantOK {
				t.Errorf("IsCurrency(%q) = %v, want %v", tt.code, got, tt.wantOK)
			}
			problem := CheckCurrency(tt.code)
			if (problem == "") != tt.wantOK {
				t.Errorf("CheckCurrency(%q) = %q", tt.code, problem)
			}
			if !tt.wantOK && !strings.Contains(problem, `currency "`+tt.code+`" is not one of USD`) {
				t.Errorf("CheckCurrency(%q) = %q, want it to name the code and the accepted ones", tt.code, problem)
			}
		})
	}
}

// The list shown to clients and the set accepted must be the same codes.
func TestCurrenciesListsExactlyTheAcceptedCodes(t *testing.T) {
	for _, code := range strings.Split(Currencies, ", ") {
		if !IsCurrency(code) {
			t.Errorf("%s is listed but not accepted", code)
		}
	}
	if n := strings.Count(Currencies, ",") + 1; n != 11 {
		t.Errorf("%d codes listed, want 11", n)
	}
}
