// Package carddata keeps card numbers (PANs) out of sagatrace. Payments
// carry a processor token and the last four digits only; everything a
// client can write — HTTP bodies and headers, saga input, NATS events and
// their headers — is checked with Contains and refused when it holds a card
// number, and everything that leaves a process for storage elsewhere — log
// lines, exported spans, dead-lettered events, problem details — is passed
// through Redact as a second line of defence, for values that echo input
// back (an error naming a bad field).
package carddata

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Card numbers are 13 to 19 digits (ISO/IEC 7812) whose last digit is a
// Luhn check digit.
const (
	minDigits = 13
	maxDigits = 19
)

// Contains reports whether s holds something that looks like a card
// number: 13 to 19 digits that pass the Luhn check, written
//
//   - contiguously, in any Unicode decimal digits (fullwidth "４１１１…"
//     included: a client that normalises later would store the number);
//   - or in card groupings (4-4-4-4, 4-4-4-4-3, 8-8, 4-6-5, 4-6-4) split by
//     any run of characters that are neither letters nor digits — spaces,
//     tabs, double spaces, dots, dashes, underscores, slashes, mixed.
//
// Letters end a number but do not hide it: "cust4111111111111111" holds
// one. A random digit run passes Luhn one time in ten, so an identifier of
// 13 to 19 digits may be refused; that is the price of never storing a card
// number. Identifiers that are not numbers are never taken for one, however
// their digits fall: UUIDs (8-4-4-4-12 hex, so every DTID, entity ID and
// ids.IdempotencyKey), and 16- or 32-digit hex IDs holding a letter (span
// and trace IDs, correlation IDs) are skipped whole (see opaqueIDs).
func Contains(s string) bool {
	found := false
	scan(s, func(int, int, string) bool { found = true; return false })
	return found
}

// Redact returns s with every card number replaced by asterisks and its
// last four digits ("4111 1111 1111 1111" → "************1111"), so what is
// left still tells a support engineer which card was meant. It returns s
// itself (no copy) when there is nothing to redact.
func Redact(s string) string {
	// The last four digits kept may form a new number with the digits
	// after them ("…4444 5555 5555 5555 4"): redact again until none is
	// left. Each pass masks digits, so this ends.
	for {
		r := redactOnce(s)
		if r == s || !Contains(r) {
			return r
		}
		s = r
	}
}

func redactOnce(s string) string {
	var b strings.Builder
	last := 0
	scan(s, func(start, end int, digits string) bool {
		if b.Len() == 0 {
			b.Grow(len(s))
		}
		b.WriteString(s[last:start])
		b.WriteString(strings.Repeat("*", len(digits)-4))
		b.WriteString(digits[len(digits)-4:])
		last = end
		return true
	})
	if b.Len() == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// group is one run of contiguous digits: where it is in s and its digits
// in ASCII.
type group struct {
	start, end int
	digits     string
}

// escapeLetters are the letters of the escapes Go's %q and JSON write for
// separators ("\t", "\n"): an error that quotes a value must not hide a
// card number from Redact.
const escapeLetters = "abfnrtv"

// scan calls found(start, end, digits) for each card number in s, left to
// right, until found returns false; digits are the number's digits in
// ASCII.
func scan(s string, found func(start, end int, digits string) bool) {
	if !mayHoldCard(s) {
		return
	}
	opaque := opaqueIDs(s)
	// A run is a sequence of digit groups split by separators only; a
	// letter, an opaque ID or the end of s ends it.
	var run []group
	var cur []byte
	curStart := -1
	endGroup := func(end int) {
		if curStart >= 0 {
			run = append(run, group{start: curStart, end: end, digits: string(cur)})
			cur, curStart = cur[:0], -1
		}
	}
	endRun := func(end int) bool {
		endGroup(end)
		ok := cards(run, found)
		run = run[:0]
		return ok
	}
	for i := 0; i < len(s); {
		if end, ok := opaque[i]; ok {
			if !endRun(i) {
				return
			}
			i = end
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == '\\' && i+1 < len(s) && strings.IndexByte(escapeLetters, s[i+1]) >= 0 {
			// "\t" is a tab quoted by %q or JSON: a separator, not a letter.
			endGroup(i)
			i += 2
			continue
		}
		switch d, isDigit := digitValue(r); {
		case isDigit:
			if curStart < 0 {
				curStart = i
			}
			cur = append(cur, '0'+d)
		case unicode.IsLetter(r):
			if !endRun(i) {
				return
			}
		default: // a separator
			endGroup(i)
		}
		i += size
	}
	endRun(len(s))
}

// cards reports each card number in one run of digit groups, and whether
// to go on. A single group of 13 to 19 digits is a candidate as written; a
// window of consecutive groups only in a card grouping, so that dates,
// versions and amounts that happen to stand side by side are not taken for
// one. The longest window starting at a group wins, and windows never
// overlap.
func cards(run []group, found func(start, end int, digits string) bool) bool {
	for i := 0; i < len(run); {
		best, bestDigits := -1, ""
		n := 0
		for j := i; j < len(run); j++ {
			n += len(run[j].digits)
			if n > maxDigits {
				break
			}
			if n < minDigits || (j > i && !cardGrouping(run[i:j+1])) {
				continue
			}
			var digits strings.Builder
			for _, g := range run[i : j+1] {
				digits.WriteString(g.digits)
			}
			if luhn(digits.String()) {
				best, bestDigits = j, digits.String()
			}
		}
		if best < 0 {
			i++
			continue
		}
		if !found(run[i].start, run[best].end, bestDigits) {
			return false
		}
		i = best + 1
	}
	return true
}

// cardGrouping reports whether groups are written as card numbers are:
// in fours (the last one shorter, or a fifth of three for 19 digits), 8-8,
// or 4-6-5 and 4-6-4 (American Express, Diners).
func cardGrouping(groups []group) bool {
	lens := make([]int, len(groups))
	for i, g := range groups {
		lens[i] = len(g.digits)
	}
	switch {
	case len(lens) == 2 && lens[0] == 8 && lens[1] == 8:
		return true
	case len(lens) == 3 && lens[0] == 4 && lens[1] == 6 && (lens[2] == 5 || lens[2] == 4):
		return true
	}
	for i, l := range lens {
		last := i == len(lens)-1
		if (!last && l != 4) || (last && (l < 1 || l > 4)) {
			return false
		}
	}
	return true
}

// mayHoldCard is the fast path: most strings checked (profile IDs, kinds,
// log attributes) are ASCII with fewer than 13 digits.
func mayHoldCard(s string) bool {
	if len(s) < minDigits || isOpaqueID(s) {
		return false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= utf8.RuneSelf:
			return true // maybe a digit of another script
		case c >= '0' && c <= '9':
			n++
		}
	}
	return n >= minDigits
}

// opaqueIDs returns, by start offset, the end of every identifier in s that
// is not a number, whatever its digits: a UUID (five hex tokens of 8-4-4-4-12
// joined by single dashes), or a token of 16 or 32 hex digits holding at
// least one letter (a span or trace ID). A token is a maximal run of ASCII
// letters and digits, so "cust4111111111111111" is no hex ID, and a UUID
// glued to letters is no UUID. A card number hidden in one of these shapes
// is not found; nobody writes one that way by mistake, and the alternative
// refuses one UUID or trace ID in a few thousand.
func opaqueIDs(s string) map[int]int {
	var tokens [][2]int
	for i := 0; i < len(s); {
		if !isAlnum(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && isAlnum(s[j]) {
			j++
		}
		tokens = append(tokens, [2]int{i, j})
		i = j
	}
	var out map[int]int
	add := func(start, end int) {
		if out == nil {
			out = map[int]int{}
		}
		out[start] = end
	}
	uuidLens := [5]int{8, 4, 4, 4, 12}
	for k := 0; k < len(tokens); k++ {
		t := tokens[k]
		if k+5 <= len(tokens) && isUUIDAt(s, tokens[k:k+5], uuidLens) {
			add(t[0], tokens[k+4][1])
			k += 4
			continue
		}
		if n := t[1] - t[0]; (n == 16 || n == 32) && isHex(s[t[0]:t[1]]) && strings.ContainsFunc(s[t[0]:t[1]], isHexLetter) {
			add(t[0], t[1])
		}
	}
	return out
}

// isOpaqueID reports whether s is one identifier that opaqueIDs skips
// whole: the common case of a DTID, an idempotency key or a correlation ID
// checked on its own, answered without allocating.
func isOpaqueID(s string) bool {
	switch len(s) {
	case 16, 32:
		return isHex(s) && strings.ContainsFunc(s, isHexLetter)
	case 36:
		for i := 0; i < len(s); i++ {
			if i == 8 || i == 13 || i == 18 || i == 23 {
				if s[i] != '-' {
					return false
				}
			} else if !isHex(s[i : i+1]) {
				return false
			}
		}
		return true
	}
	return false
}

func isUUIDAt(s string, tokens [][2]int, lens [5]int) bool {
	for i, t := range tokens {
		if t[1]-t[0] != lens[i] || !isHex(s[t[0]:t[1]]) {
			return false
		}
		if i > 0 && (t[0]-tokens[i-1][1] != 1 || s[t[0]-1] != '-') {
			return false
		}
	}
	return true
}

// digitValue returns the value of r when it is a decimal digit of any
// script (Unicode category Nd). Every Nd block is ten consecutive code
// points from its zero, and unicode.Nd lists them in ranges that start at
// a zero, so the value is the distance from the range's start, modulo 10.
func digitValue(r rune) (byte, bool) {
	if r < utf8.RuneSelf {
		return byte(r - '0'), r >= '0' && r <= '9'
	}
	if !unicode.IsDigit(r) {
		return 0, false
	}
	for _, rg := range unicode.Nd.R16 {
		if r >= rune(rg.Lo) && r <= rune(rg.Hi) {
			return byte((r - rune(rg.Lo)) % 10), true
		}
	}
	for _, rg := range unicode.Nd.R32 {
		if r >= rune(rg.Lo) && r <= rune(rg.Hi) {
			return byte((r - rune(rg.Lo)) % 10), true
		}
	}
	return 0, false
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

func isAlnum(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9') && !isHexLetter(rune(c)) {
			return false
		}
	}
	return true
}

func isHexLetter(r rune) bool { return (r >= 'a' && r <= 'f') || (r >= 'A' && r <= 'F') }
