// Package money holds what every part of sagatrace agrees on about money:
// amounts are integer minor units (cents, yen, fils), never floats, bounded
// by MaxAmountCents, in one of a fixed set of ISO 4217 currencies whose
// minor-unit exponents are known here. The CLI, the payment and order
// services and the saga's input check against the same rules here, so a
// saga never starts with input a service would refuse.
//
// Nothing here holds package-level mutable state: the saga's workflow code
// calls this package and must be deterministic.
package money

import (
	"fmt"
	"strconv"
)

// MaxAmountCents caps one amount, in minor units of its currency (ten
// million in major units of a two-decimal currency): a typo'd amount
// should be refused, not charged. It also keeps qty*price sums far from
// int64 overflow.
const MaxAmountCents = 10_000_000_00

// Currencies lists the accepted ISO 4217 codes, as error messages show them.
const Currencies = "USD, EUR, GBP, JPY, CHF, CAD, AUD, SEK, NOK, DKK, PLN, BHD, KWD"

// Exponent returns the number of minor-unit digits of the ISO 4217
// currency code (2 for USD: 1299 is 12.99; 0 for JPY; 3 for BHD: 1299 is
// 1.299), and false when code is not accepted. A switch, not a
// package-level map, so nothing global can be mutated and workflow code
// may call it.
func Exponent(code string) (int, bool) {
	switch code {
	case "USD", "EUR", "GBP", "CHF", "CAD", "AUD", "SEK", "NOK", "DKK", "PLN":
		return 2, true
	case "JPY":
		return 0, true
	case "BHD", "KWD":
		return 3, true
	}
	return 0, false
}

// IsCurrency reports whether code is an accepted ISO 4217 code (upper
// case).
func IsCurrency(code string) bool {
	_, ok := Exponent(code)
	return ok
}

// CheckCurrency returns the problem with code for an API answer, naming
// the accepted codes, or "" when code is accepted.
func CheckCurrency(code string) string {
	if IsCurrency(code) {
		return ""
	}
	return fmt.Sprintf("currency %q is not one of %s", code, Currencies)
}

// CheckAmount returns the problem with an amount in minor units, naming
// its field, or "" when it is from 1 to MaxAmountCents: every service that
// takes money refuses the same amounts with the same words.
func CheckAmount(field string, minor int64) string {
	switch {
	case minor <= 0:
		return fmt.Sprintf("%s must be greater than 0, got %d", field, minor)
	case minor > MaxAmountCents:
		return fmt.Sprintf("%s must be at most %d, got %d", field, MaxAmountCents, minor)
	}
	return ""
}

// Format writes minor units of code in major units with exactly the
// currency's decimals: USD 1299 is "12.99", JPY 1299 is "1299", BHD 1299
// is "1.299". ParseAmount reads every positive result back to minor. An
// unknown code has no known decimals, so the digits are shown as what
// they are ("1299 minor units") rather than guessed at.
func Format(code string, minor int64) string {
	exp, ok := Exponent(code)
	if !ok {
		return strconv.FormatInt(minor, 10) + " minor units"
	}
	sign := ""
	u := uint64(minor)
	if minor < 0 {
		// Negated as unsigned, so math.MinInt64 has a magnitude too.
		sign, u = "-", -u
	}
	digits := strconv.FormatUint(u, 10)
	if exp == 0 {
		return sign + digits
	}
	for len(digits) <= exp {
		digits = "0" + digits
	}
	cut := len(digits) - exp
	return sign + digits[:cut] + "." + digits[cut:]
}

// ParseAmount reads an amount written in major units of code ("12.99"
// USD) as minor units (1299), exactly, never through a float: ASCII
// digits, optionally one '.' followed by one to Exponent(code) digits, at
// least one digit before the '.', nothing else — no sign, no spaces, no
// exponent, no digit grouping. Leading zeros are accepted ("007.50" is
// 750): they cannot change the value. The result is from 1 to
// MaxAmountCents. Every error names the problem and shows an amount
// written correctly in that currency.
func ParseAmount(code, text string) (minor int64, err error) {
	exp, ok := Exponent(code)
	if !ok {
		return 0, fmt.Errorf("%s; the amount %q cannot be read without one", CheckCurrency(code), text)
	}
	example := Format(code, 1299)
	if text == "" {
		return 0, fmt.Errorf("amount is empty: write %s %s, e.g. %s", code, decimalsRule(exp), example)
	}
	if problem := scanAmount(text, exp, code, example); problem != "" {
		return 0, fmt.Errorf("amount %q: %s", text, problem)
	}
	// scanAmount let through only digits and at most one '.' followed by
	// at most exp digits: accumulate them, padding the fraction to exp
	// digits, stopping as soon as the value passes the cap so that no
	// number of digits can overflow int64.
	frac := -1 // digits seen after the '.', -1 before it
	for i := 0; i < len(text); i++ {
		if text[i] == '.' {
			frac = 0
			continue
		}
		minor = minor*10 + int64(text[i]-'0')
		if frac >= 0 {
			frac++
		}
		if minor > MaxAmountCents {
			return 0, fmt.Errorf("amount %q is above the maximum of %s %s", text, Format(code, MaxAmountCents), code)
		}
	}
	for frac = max(frac, 0); frac < exp; frac++ {
		minor *= 10
		if minor > MaxAmountCents {
			return 0, fmt.Errorf("amount %q is above the maximum of %s %s", text, Format(code, MaxAmountCents), code)
		}
	}
	if minor == 0 {
		return 0, fmt.Errorf("amount %q must be greater than 0, e.g. %s", text, example)
	}
	return minor, nil
}

// scanAmount returns what is wrong with the shape of text as an amount of
// a currency with exp decimals, or "" when it is digits with at most one
// '.' followed by 1 to exp digits.
func scanAmount(text string, exp int, code, example string) string {
	dot := -1
	for i, r := range text {
		switch {
		case r >= '0' && r <= '9':
			if dot >= 0 && i-dot > exp {
				return fmt.Sprintf("%s has %d decimals: write e.g. %s", code, exp, example)
			}
		case r == '.':
			switch {
			case exp == 0:
				return fmt.Sprintf("%s has no minor unit: write whole units, e.g. %s", code, example)
			case dot >= 0:
				return fmt.Sprintf("more than one '.': write e.g. %s", example)
			case i == 0:
				return fmt.Sprintf("no digit before the '.': write e.g. %s", Format(code, 99))
			}
			dot = i
		case r == '-' || r == '+':
			return fmt.Sprintf("an amount has no sign (%q at byte %d): write a positive amount, e.g. %s", r, i, example)
		default:
			return fmt.Sprintf("%q at byte %d is not an ASCII digit or '.': write %s %s, e.g. %s", r, i, code, decimalsRule(exp), example)
		}
	}
	if dot == len(text)-1 {
		return fmt.Sprintf("no digit after the '.': write e.g. %s", example)
	}
	return ""
}

// decimalsRule says how many decimals an amount of a currency with exp
// decimals may have, for error messages.
func decimalsRule(exp int) string {
	if exp == 0 {
		return "in whole units with digits only"
	}
	return fmt.Sprintf("with digits and at most %d decimals", exp)
}
