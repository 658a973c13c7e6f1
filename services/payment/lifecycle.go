package payment

import "github.com/sagatrace/sagatrace/services/payment/paymentapi"

// event is what moves a payment: a step of the charge or the saga's refund.
type event string

const (
	send    event = "send"    // the authorisation is sent to the card processor
	approve event = "approve" // the processor approved it
	decline event = "decline" // the processor declined it
	refund  event = "refund"  // the saga compensates: the money goes back
)

// next is the payment lifecycle, free of HTTP and storage so its rules are
// testable alone: the state a payment in from enters on ev, or ok false
// when ev does not apply there. A refund applies to every state that may
// hold or be about to take money (a charge still in flight then stops at
// its next compare-and-set); a declined or refunded payment has nothing
// (more) to refund.
func next(from paymentapi.State, ev event) (to paymentapi.State, ok bool) {
	switch {
	case from == paymentapi.StateStored && ev == send:
		return paymentapi.StateInitiated, true
	case from == paymentapi.StateInitiated && ev == approve:
		return paymentapi.StateCompleted, true
	case from == paymentapi.StateInitiated && ev == decline:
		return paymentapi.StateDeclined, true
	case ev == refund && (from == paymentapi.StateStored || from == paymentapi.StateInitiated || from == paymentapi.StateCompleted):
		return paymentapi.StateRefunded, true
	}
	return from, false
}

// refundNext is next for the refund, as the ledger's compensation asks it.
func refundNext(from paymentapi.State) (paymentapi.State, bool) { return next(from, refund) }
