// Package carddata keeps card numbers (PANs) out of sagatrace. Payments
// carry a processor token and the last four digits only; everything a
// client can write — HTTP bodies, saga input, NATS events — is checked with
// Contains and refused when it holds a card number, and everything that
// leaves a process for storage elsewhere — log lines, exported spans,
// dead-lettered events — is passed through Redact as a second line of
// defence, for values that echo input back (an error naming a bad field).
package carddata

import "strings"

// Card numbers are 13 to 19 digits (ISO/IEC 7812) whose last digit is a
// Luhn check digit. They are written either contiguously or in groups split
// by single spaces or dashes ("4111 1111 1111 1111", "3782-822463-10005").
const (
	minDigits = 13
	maxDigits = 19
)

// Contains reports whether s holds something that looks like a card
// number: a run of 13 to 19 digits, possibly grouped by single spaces or
// dashes, not glued to further digits or letters, that passes the Luhn
// check. A random digit run passes Luhn one time in ten, so an identifier
// made of 13 to 19 digits may be refused; that is the price of never
// storing a card number. Identifiers of sagatrace itself never form such
// runs: trace IDs glue digits to letters, and UUIDs group theirs 8-4-4-4-12,
// which no card number does (see cardGrouping).
func Contains(s string) bool {
	found := false
	scan(s, func(int, int) bool { found = true; return false })
	return found
}

// Redact returns s with every card number replaced by asterisks and its
// last four digits ("4111 1111 1111 1111" → "************1111"), so what is
// left still tells a support engineer which card was meant. It returns s
// itself (no copy) when there is nothing to redact.
func Redact(s string) string {
	var b strings.Builder
	last := 0
	scan(s, func(start, end int) bool {
		if b.Len() == 0 {
			b.Grow(len(s))
		}
		b.WriteString(s[last:start])
		digits := digitsOf(s[start:end])
		b.WriteString(strings.Repeat("*", len(digits)-4))
		b.WriteString(digits[len(digits)-4:])
		last = end
		return true
	})
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// scan calls found(start, end) for each card number in s, left to right,
// until found returns false.
func scan(s string, found func(start, end int) bool) {
	// Most strings checked (profile IDs, kinds, SKUs) are too short to
	// hold a card number; scoring checks every event's fields.
	if len(s) < minDigits {
		return
	}
	for i := 0; i < len(s); {
		if !isDigit(s[i]) || (i > 0 && isWordByte(s[i-1])) {
			i++
			continue
		}
		end, n := run(s, i)
		if n >= minDigits && n <= maxDigits && (end == len(s) || !isWordByte(s[end])) &&
			cardGrouping(s[i:end]) && luhn(digitsOf(s[i:end])) {
			if !found(i, end) {
				return
			}
		}
		i = end
	}
}

// run returns the end of the digit run starting at i, where single spaces
// or dashes may split digits, and the number of digits in it. A separator
// not followed by a digit is not part of the run.
func run(s string, i int) (end, digits int) {
	end = i
	for end < len(s) {
		switch c := s[end]; {
		case isDigit(c):
			digits++
			end++
		case (c == ' ' || c == '-') && end+1 < len(s) && isDigit(s[end+1]) && isDigit(s[end-1]):
			end++
		default:
			return end, digits
		}
	}
	return end, digits
}

// cardGrouping reports whether a digit run is written as card numbers
// are: contiguously, or in groups of four (the last one shorter) or 4-6-5
// and 4-6-4 (American Express, Diners), with one kind of separator. Other
// groupings are not cards: a UUID (8-4-4-4-12) whose first groups happen
// to be all digits would otherwise pass one time in ten.
func cardGrouping(run string) bool {
	var sep byte
	var groups []int
	n := 0
	for i := range len(run) {
		if isDigit(run[i]) {
			n++
			continue
		}
		if sep != 0 && run[i] != sep {
			return false
		}
		sep = run[i]
		groups = append(groups, n)
		n = 0
	}
	groups = append(groups, n)
	if len(groups) == 1 {
		return true
	}
	if len(groups) == 3 && groups[0] == 4 && groups[1] == 6 && (groups[2] == 5 || groups[2] == 4) {
		return true
	}
	for i, g := range groups {
		last := i == len(groups)-1
		if (!last && g != 4) || (last && (g < 1 || g > 4)) {
			return false
		}
	}
	return true
}

func digitsOf(s string) string {
	if !strings.ContainsAny(s, " -") {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, s)
}

// luhn reports whether the digits end in a valid Luhn check digit.
func luhn(digits string) bool {
	sum := 0
	double := false
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// isWordByte reports whether c glues onto a digit run, making it part of
// a longer token (an ID, a hex string) rather than a number of its own.
// '_' is not one: "tok_4111111111111111" hides a card number.
func isWordByte(c byte) bool {
	return isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}
