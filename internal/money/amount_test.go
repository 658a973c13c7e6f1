package money

import (
	"math"
	"strings"
	"testing"
)

func TestCheckAmount(t *testing.T) {
	tests := []struct {
		minor int64
		want  string // "" for accepted
	}{
		{1, ""},
		{MaxAmountCents, ""},
		{0, "amount_cents must be greater than 0, got 0"},
		{-50, "amount_cents must be greater than 0, got -50"},
		{MaxAmountCents + 1, "amount_cents must be at most 1000000000, got 1000000001"},
	}
	for _, tt := range tests {
		if got := CheckAmount("amount_cents", tt.minor); got != tt.want {
			t.Errorf("CheckAmount(%d) = %q, want %q", tt.minor, got, tt.want)
		}
	}
	if got := CheckAmount("total", 0); !strings.HasPrefix(got, "total ") {
		t.Errorf("the problem names its field: %q", got)
	}
}

func TestParseAmount(t *testing.T) {
	tests := []struct {
		name, code, text string
		want             int64
		wantErr          []string // all in the error; nil for accepted
	}{
		{name: "dollars_and_cents", code: "USD", text: "12.99", want: 1299},
		{name: "whole_dollars", code: "USD", text: "5", want: 500},
		{name: "one_decimal", code: "EUR", text: "0.5", want: 50},
		{name: "one_cent", code: "USD", text: "0.01", want: 1},
		{name: "leading_zeros", code: "USD", text: "00012.30", want: 1230},
		{name: "maximum", code: "USD", text: "10000000.00", want: MaxAmountCents},
		{name: "yen", code: "JPY", text: "1299", want: 1299},
		{name: "dinar_three_decimals", code: "BHD", text: "1.299", want: 1299},
		{name: "dinar_one_decimal", code: "KWD", text: "1.2", want: 1200},

		{name: "negative", code: "USD", text: "-0.50", wantErr: []string{`"-0.50"`, "no sign", "e.g. 12.99"}},
		{name: "sign_in_fraction", code: "USD", text: "1.-5", wantErr: []string{"no sign"}},
		{name: "plus", code: "USD", text: "+1", wantErr: []string{"no sign"}},
		{name: "dot_without_fraction", code: "USD", text: "1.", wantErr: []string{"no digit after the '.'", "e.g. 12.99"}},
		{name: "dot_without_whole", code: "USD", text: ".5", wantErr: []string{"no digit before the '.'", "e.g. 0.99"}},
		{name: "two_dots", code: "USD", text: "1.2.3", wantErr: []string{"more than one '.'"}},
		{name: "exponent", code: "USD", text: "1e3", wantErr: []string{`'e' at byte 1`, "at most 2 decimals"}},
		{name: "zero", code: "USD", text: "0", wantErr: []string{"greater than 0"}},
		{name: "zero_with_decimals", code: "USD", text: "0.00", wantErr: []string{"greater than 0"}},
		{name: "too_many_decimals", code: "USD", text: "12.999", wantErr: []string{"USD has 2 decimals", "e.g. 12.99"}},
		{name: "int64_overflow", code: "USD", text: "123456789012345678901234567890", wantErr: []string{"above the maximum of 10000000.00 USD"}},
		{name: "max_plus_one", code: "USD", text: "10000000.01", wantErr: []string{"above the maximum"}},
		{name: "max_plus_one_by_padding", code: "BHD", text: "1000000.001", wantErr: []string{"above the maximum of 1000000.000 BHD"}},
		{name: "fullwidth_digits", code: "USD", text: "１２", wantErr: []string{`'１' at byte 0`, "not an ASCII digit"}},
		{name: "arabic_indic_digits", code: "USD", text: "١٢", wantErr: []string{"not an ASCII digit"}},
		{name: "leading_space", code: "USD", text: " 12", wantErr: []string{`' ' at byte 0`}},
		{name: "trailing_newline", code: "USD", text: "12\n", wantErr: []string{`'\n' at byte 2`}},
		{name: "grouping", code: "USD", text: "1,000", wantErr: []string{`',' at byte 1`}},
		{name: "empty", code: "USD", text: "", wantErr: []string{"empty", "e.g. 12.99"}},
		{name: "yen_with_decimals", code: "JPY", text: "12.99", wantErr: []string{"JPY has no minor unit", "e.g. 1299"}},
		{name: "yen_with_zero_decimals", code: "JPY", text: "12.00", wantErr: []string{"JPY has no minor unit"}},
		{name: "dinar_four_decimals", code: "BHD", text: "1.2999", wantErr: []string{"BHD has 3 decimals", "e.g. 1.299"}},
		{name: "unknown_currency", code: "XXX", text: "12.99", wantErr: []string{`currency "XXX" is not one of USD`}},
		{name: "lower_case_currency", code: "usd", text: "12.99", wantErr: []string{`currency "usd"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAmount(tt.code, tt.text)
			if tt.wantErr == nil {
				if err != nil || got != tt.want {
					t.Fatalf("ParseAmount(%s, %q) = %d, %v; want %d", tt.code, tt.text, got, err, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("ParseAmount(%s, %q) = %d, want an error", tt.code, tt.text, got)
			}
			if got != 0 {
				t.Errorf("ParseAmount(%s, %q) returned %d with its error, want 0", tt.code, tt.text, got)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
		})
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		code  string
		minor int64
		want  string
	}{
		{"USD", 1299, "12.99"}, {"USD", 1, "0.01"}, {"USD", 0, "0.00"}, {"USD", -50, "-0.50"},
		{"EUR", MaxAmountCents, "10000000.00"},
		{"JPY", 1299, "1299"}, {"JPY", -7, "-7"},
		{"BHD", 1299, "1.299"}, {"KWD", 5, "0.005"},
		{"USD", math.MinInt64, "-92233720368547758.08"},
		{"XXX", 1299, "1299 minor units"},
	}
	for _, tt := range tests {
		if got := Format(tt.code, tt.minor); got != tt.want {
			t.Errorf("Format(%s, %d) = %q, want %q", tt.code, tt.minor, got, tt.want)
		}
	}
}

// FuzzParseAmount holds that whatever text is accepted is a positive
// amount within the cap, written only in ASCII digits and '.', that reads
// back to the same minor units from its Format. codeIndex picks a
// currency, or one past the list an unknown code, which must always fail.
func FuzzParseAmount(f *testing.F) {
	for i, text := range []string{"12.99", "5", "0.01", "00012.30", "1.", ".5", "-0.50", "1.-5", "1e3", "１２", "10000000.00", "1.299", "0"} {
		f.Add(uint8(i), text)
	}
	codes := append(strings.Split(Currencies, ", "), "XXX")
	f.Fuzz(func(t *testing.T, codeIndex uint8, text string) {
		code := codes[int(codeIndex)%len(codes)]
		minor, err := ParseAmount(code, text)
		if err != nil {
			if minor != 0 {
				t.Errorf("ParseAmount(%s, %q) = %d with error %v", code, text, minor, err)
			}
			return
		}
		if !IsCurrency(code) {
			t.Fatalf("ParseAmount(%s, %q) = %d for an unknown currency", code, text, minor)
		}
		if minor <= 0 || minor > MaxAmountCents {
			t.Fatalf("ParseAmount(%s, %q) = %d, outside 1..%d", code, text, minor, MaxAmountCents)
		}
		if strings.Trim(text, "0123456789.") != "" {
			t.Fatalf("ParseAmount(%s, %q) accepted a character other than ASCII digits and '.'", code, text)
		}
		formatted := Format(code, minor)
		back, err := ParseAmount(code, formatted)
		if err != nil || back != minor {
			t.Fatalf("ParseAmount(%s, %q) = %d, Format = %q, read back as %d, %v", code, text, minor, formatted, back, err)
		}
	})
}
