package payment

import (
	"testing"

	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
)

// The lifecycle alone, without HTTP or a database: every state against
// every event.
func TestNext(t *testing.T) {
	const (
		stored, initiated, completed = paymentapi.StateStored, paymentapi.StateInitiated, paymentapi.StateCompleted
		declined, refunded           = paymentapi.StateDeclined, paymentapi.StateRefunded
	)
	tests := []struct {
		name   string
		from   paymentapi.State
		ev     event
		want   paymentapi.State
		wantOK bool
	}{
		{name: "stored_is_sent", from: stored, ev: send, want: initiated, wantOK: true},
		{name: "initiated_is_approved", from: initiated, ev: approve, want: completed, wantOK: true},
		{name: "initiated_is_declined", from: initiated, ev: decline, want: declined, wantOK: true},
		{name: "stored_is_refunded", from: stored, ev: refund, want: refunded, wantOK: true},
		{name: "initiated_is_refunded", from: initiated, ev: refund, want: refunded, wantOK: true},
		{name: "completed_is_refunded", from: completed, ev: refund, want: refunded, wantOK: true},
		{name: "declined_has_nothing_to_refund", from: declined, ev: refund, want: declined},
		{name: "refunded_is_refunded_once", from: refunded, ev: refund, want: refunded},
		{name: "stored_is_not_approved_unsent", from: stored, ev: approve, want: stored},
		{name: "initiated_is_not_sent_twice", from: initiated, ev: send, want: initiated},
		{name: "completed_is_final_for_the_charge", from: completed, ev: send, want: completed},
		{name: "completed_is_not_declined_later", from: completed, ev: decline, want: completed},
		{name: "declined_is_final_for_the_charge", from: declined, ev: approve, want: declined},
		{name: "refunded_is_not_charged_again", from: refunded, ev: send, want: refunded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := next(tt.from, tt.ev)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("next(%s, %s) = %s, %v; want %s, %v", tt.from, tt.ev, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}
