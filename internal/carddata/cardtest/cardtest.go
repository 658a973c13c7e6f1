// Package cardtest lists the spellings of card numbers that sagatrace's
// tests send through every door (HTTP bodies, headers and paths, saga
// input, NATS events and headers), so each door is tried with the same
// ones and a spelling added here is tried everywhere.
package cardtest

// Spelling is one way of writing a card number.
type Spelling struct {
	Name  string
	Value string
	// Last4 is what carddata.Redact keeps of it.
	Last4 string
}

// Spellings returns every spelling, of two test card numbers (Visa
// 4111 1111 1111 1111, Mastercard 5555 5555 5555 4444, American Express
// 3782 822463 10005). Each is a string a client may send in a header:
// printable, no line breaks.
func Spellings() []Spelling {
	return []Spelling{
		{"contiguous", "4111111111111111", "1111"},
		{"spaces", "4111 1111 1111 1111", "1111"},
		{"dashes", "5555-5555-5555-4444", "4444"},
		{"dots", "4111.1111.1111.1111", "1111"},
		{"underscores", "4111_1111_1111_1111", "1111"},
		{"slashes", "4111/1111/1111/1111", "1111"},
		{"tabs", "4111\t1111\t1111\t1111", "1111"},
		{"double_spaces", "4111  1111  1111  1111", "1111"},
		{"mixed_separators", "4111-1111.1111_1111", "1111"},
		{"eight_eight", "55555555 55554444", "4444"},
		{"amex_4_6_5", "3782-822463-10005", "0005"},
		{"glued_to_letters", "cust4111111111111111", "1111"},
		{"between_letters", "sku5555555555554444x", "4444"},
		{"fullwidth", "４１１１１１１１１１１１１１１１", "1111"},
		{"fullwidth_glued", "cust４１１１１１１１１１１１１１１１", "1111"},
		{"arabic_indic", "٥٥٥٥٥٥٥٥٥٥٥٥٤٤٤٤", "4444"},
	}
}

// Digits returns the card numbers of Spellings in digits, to look for in
// what was stored or answered: none of them may appear anywhere.
func Digits() []string {
	return []string{"4111111111111111", "5555555555554444", "378282246310005"}
}
