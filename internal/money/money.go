// Package money holds what every part of sagatrace agrees on about money:
// amounts are integer minor units (cents), never floats, bounded by
// MaxAmountCents, in one of a fixed set of ISO 4217 currencies. The
// payment and order services and the saga's input check against the same
// rules here, so a saga never starts with input a service would refuse.
package money

import "fmt"

// MaxAmountCents caps one amount (ten million in major units): a typo'd
// amount should be refused, not charged. It also keeps qty*price sums far
// from int64 overflow.
const MaxAmountCents = 10_000_000_00

// Currencies lists the accepted ISO 4217 codes, as error messages show them.
const Currencies = "USD, EUR, GBP, JPY, CHF, CAD, AUD, SEK, NOK, DKK, PLN"

// IsCurrency reports whether code is an accepted ISO 4217 code (upper
// case). A switch, not a package-level map, so nothing global can be
// mutated, and workflow code may call it: it is deterministic.
func IsCurrency(code string) bool {
	switch code {
	case "USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "SEK", "NOK", "DKK", "PLN":
		return true
	}
	return false
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
