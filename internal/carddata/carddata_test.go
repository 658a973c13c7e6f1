package carddata

import (
	"testing"
	"unicode"
)

func TestContainsAndRedact(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		has    bool
		redact string
	}{
		{"visa", "4111111111111111", true, "************1111"},
		{"visa_spaced", "card 4111 1111 1111 1111 ok", true, "card ************1111 ok"},
		{"amex_dashed", "3782-822463-10005", true, "***********0005"},
		{"in_json", `{"card_number":"5555555555554444"}`, true, `{"card_number":"************4444"}`},
		{"behind_underscore", "tok_4111111111111111", true, "tok_************1111"},
		{"two", "4111111111111111/4012888888881881", true, "************1111/************1881"},
		{"diners_4_6_4", "3056 930902 5904", true, "**********5904"},
		{"visa_19_grouped", "4111-1111-1111-1111-003", true, "***************1003"},
		// Letters end a number but do not hide it.
		{"glued_to_letters", "a4111111111111111", true, "a************1111"},
		{"customer_prefix", "cust4111111111111111", true, "cust************1111"},
		{"letters_both_sides", "x4111111111111111y", true, "x************1111y"},
		// Any run of non-alphanumerics separates groups.
		{"dots", "4111.1111.1111.1111", true, "************1111"},
		{"underscores", "4111_1111_1111_1111", true, "************1111"},
		{"slashes", "4111/1111/1111/1111", true, "************1111"},
		{"tabs", "4111\t1111\t1111\t1111", true, "************1111"},
		{"quoted_tabs", `"4111\t1111\t1111\t1111"`, true, `"************1111"`},
		{"quoted_newlines", `4111\n1111\n1111\n1111`, true, "************1111"},
		{"double_spaces", "4111  1111  1111  1111", true, "************1111"},
		{"mixed_separators", "4111-1111 1111.1111", true, "************1111"},
		{"dash_runs", "4111--1111--1111--1111", true, "************1111"},
		{"unicode_dash", "4111\u20101111\u20101111\u20101111", true, "************1111"},
		{"eight_eight", "41111111 11111111", true, "************1111"},
		{"json_array", `["4111","1111","1111","1111"]`, true, `["************1111"]`},
		{"after_other_numbers", "ref 12 4111 1111 1111 1111", true, "ref 12 ************1111"},
		// Unicode decimal digits are digits.
		{"fullwidth", "４１１１１１１１１１１１１１１１", true, "************1111"},
		{"fullwidth_spaced", "４１１１ １１１１ １１１１ １１１１", true, "************1111"},
		{"arabic_indic", "٤١١١١١١١١١١١١١١١", true, "************1111"},
		{"devanagari_mixed", "४१११1111११११1111", true, "************1111"},
		{"fullwidth_glued", "cust４１１１１１１１１１１１１１１１", true, "cust************1111"},
		// Not cards.
		{"luhn_fails", "4111111111111112", false, "4111111111111112"},
		{"too_short", "411111111111", false, "411111111111"},
		{"too_long", "41111111111111111111", false, "41111111111111111111"},
		{"uuid", "01a21946-6936-7c83-bdff-01ec6b1f9d80", false, "01a21946-6936-7c83-bdff-01ec6b1f9d80"},
		// 8-4-4 digits that pass Luhn: a UUID, not a card (the bench once
		// met one among its idempotency keys).
		{"uuid_with_digit_groups", "41111111-1111-1111-abcd-0123456789ab", false, "41111111-1111-1111-abcd-0123456789ab"},
		{"uuid_4_4_4_4_inside", "abcd4111-1111-1111-1111-abcdef012345", false, "abcd4111-1111-1111-1111-abcdef012345"},
		{"uuid_in_workflow_id", "order-saga-abcd4111-1111-1111-1111-abcdef012345", false, "order-saga-abcd4111-1111-1111-1111-abcdef012345"},
		{"uuid_upper", "ABCD4111-1111-1111-1111-ABCDEF012345", false, "ABCD4111-1111-1111-1111-ABCDEF012345"},
		{"trace_id", "8c9dc04607bdacb8fea328def087b543", false, "8c9dc04607bdacb8fea328def087b543"},
		{"trace_id_digit_run", "a0411111111111111110000000000000", false, "a0411111111111111110000000000000"},
		{"traceparent", "00-a0411111111111111110000000000000-b411111111111111-01", false, "00-a0411111111111111110000000000000-b411111111111111-01"},
		{"date_and_time", "2026-12-01 10:11:12.123456", false, "2026-12-01 10:11:12.123456"},
		{"not_a_grouping", "4111111 111111111", false, "4111111 111111111"},
		{"last4", "1111", false, "1111"},
		{"superscripts_are_not_digits", "⁴¹¹¹¹¹¹¹¹¹¹¹¹¹¹¹", false, "⁴¹¹¹¹¹¹¹¹¹¹¹¹¹¹¹"},
		{"empty", "", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Contains(tt.in); got != tt.has {
				t.Errorf("Contains(%q) = %v, want %v", tt.in, got, tt.has)
			}
			if got := Redact(tt.in); got != tt.redact {
				t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.redact)
			}
		})
	}
}

// digitValue relies on every range of unicode.Nd starting at a zero and
// holding whole blocks of ten.
func TestDigitValueCoversEveryDecimalDigit(t *testing.T) {
	for _, rg := range unicode.Nd.R16 {
		if rg.Stride != 1 || (rg.Hi-rg.Lo+1)%10 != 0 {
			t.Errorf("unicode.Nd range %U-%U (stride %d) is not whole blocks of ten", rg.Lo, rg.Hi, rg.Stride)
		}
	}
	for _, rg := range unicode.Nd.R32 {
		if rg.Stride != 1 || (rg.Hi-rg.Lo+1)%10 != 0 {
			t.Errorf("unicode.Nd range %U-%U (stride %d) is not whole blocks of ten", rg.Lo, rg.Hi, rg.Stride)
		}
	}
	for _, tt := range []struct {
		r    rune
		want byte
	}{{'7', 7}, {'７', 7}, {'٧', 7}, {'०', 0}, {0x1D7D5, 7}} {
		if got, ok := digitValue(tt.r); !ok || got != tt.want {
			t.Errorf("digitValue(%U) = %d, %v, want %d", tt.r, got, ok, tt.want)
		}
	}
}

func FuzzRedactLeavesNoCardNumber(f *testing.F) {
	for _, s := range []string{"4111111111111111", "x 4111-1111-1111-1111 y", "tok_5555555555554444", "123", "４１１１１１１１１１１１１１１１"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if r := Redact(s); Contains(r) {
			t.Errorf("Redact(%q) = %q still holds a card number", s, r)
		}
	})
}
