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

// The list shown to clients and the set accepted must be the same codes:
// every listed code is accepted once, and every accepted three-letter code
// is listed (all 17,576 are tried).
func TestCurrenciesListsExactlyTheAcceptedCodes(t *testing.T) {
	listed := map[string]bool{}
	for _, code := range strings.Split(Currencies, ", ") {
		if listed[code] {
			t.Errorf("%s is listed twice", code)
		}
		listed[code] = true
		if !IsCurrency(code) {
			t.Errorf("%s is listed but not accepted", code)
		}
	}
	for a := 'A'; a <= 'Z'; a++ {
		for b := 'A'; b <= 'Z'; b++ {
			for c := 'A'; c <= 'Z'; c++ {
				if code := string([]rune{a, b, c}); IsCurrency(code) && !listed[code] {
					t.Errorf("%s is accepted but not listed in Currencies", code)
				}
			}
		}
	}
	if len(listed) != 13 {
		t.Errorf("%d codes listed, want 13", len(listed))
	}
}

func TestExponent(t *testing.T) {
	tests := []struct {
		code   string
		want   int
		wantOK bool
	}{
		{"USD", 2, true}, {"EUR", 2, true}, {"GBP", 2, true}, {"JPY", 0, true}, {"CHF", 2, true},
		{"CAD", 2, true}, {"AUD", 2, true}, {"SEK", 2, true}, {"NOK", 2, true}, {"DKK", 2, true},
		{"PLN", 2, true}, {"BHD", 3, true}, {"KWD", 3, true},
		{"XXX", 0, false}, {"jpy", 0, false}, {"", 0, false},
	}
	for _, tt := range tests {
		got, ok := Exponent(tt.code)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("Exponent(%q) = %d, %v; want %d, %v", tt.code, got, ok, tt.want, tt.wantOK)
		}
	}
}
