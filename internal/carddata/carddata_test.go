package carddata

import "testing"

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
		{"luhn_fails", "4111111111111112", false, "4111111111111112"},
		{"too_short", "411111111111", false, "411111111111"},
		{"too_long", "41111111111111111111", false, "41111111111111111111"},
		{"glued_to_letters", "a4111111111111111", false, "a4111111111111111"},
		{"uuid", "01a21946-6936-7c83-bdff-01ec6b1f9d80", false, "01a21946-6936-7c83-bdff-01ec6b1f9d80"},
		// 8-4-4 digits that pass Luhn: a UUID, not a card (the bench once
		// met one among its idempotency keys).
		{"uuid_with_digit_groups", "41111111-1111-1111-abcd-0123456789ab", false, "41111111-1111-1111-abcd-0123456789ab"},
		{"mixed_separators", "4111-1111 1111-1111", false, "4111-1111 1111-1111"},
		{"diners_4_6_4", "3056 930902 5904", true, "**********5904"},
		{"visa_19_grouped", "4111-1111-1111-1111-003", true, "***************1003"},
		{"trace_id", "8c9dc04607bdacb8fea328def087b543", false, "8c9dc04607bdacb8fea328def087b543"},
		{"last4", "1111", false, "1111"},
		{"double_space_splits", "4111  1111 1111 1111", false, "4111  1111 1111 1111"},
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

func FuzzRedactLeavesNoCardNumber(f *testing.F) {
	for _, s := range []string{"4111111111111111", "x 4111-1111-1111-1111 y", "tok_5555555555554444", "123"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if r := Redact(s); Contains(r) {
			t.Errorf("Redact(%q) = %q still holds a card number", s, r)
		}
	})
}
