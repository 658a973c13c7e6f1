package money

import (
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
