package order

import (
	"testing"

	"github.com/sagatrace/sagatrace/services/order/orderapi"
)

// The lifecycle alone, without HTTP or a database.
func TestCancelNext(t *testing.T) {
	tests := []struct {
		name   string
		from   orderapi.State
		want   orderapi.State
		wantOK bool
	}{
		{name: "confirmed_is_cancelled", from: orderapi.StateConfirmed, want: orderapi.StateCancelled, wantOK: true},
		{name: "cancelled_is_cancelled_once", from: orderapi.StateCancelled, want: orderapi.StateCancelled},
		{name: "unknown_state_is_left_alone", from: "shipped", want: "shipped"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := cancelNext(tt.from)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("cancelNext(%s) = %s, %v; want %s, %v", tt.from, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}
