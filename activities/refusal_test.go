package activities

import (
	"testing"

	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/services/order/orderapi"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
)

// Only what no retry can change fails a step for good; an expired or
// rotated token, a conflict in flight, a rate limit or an outage is
// retried.
func TestRefusal(t *testing.T) {
	tests := []struct {
		status int
		typ    string
		want   bool
	}{
		{422, paymentapi.TypePaymentDeclined, true},
		{422, orderapi.TypeOrderRejected, true},
		{400, httpapi.TypeInvalidField, true},
		{409, httpapi.TypeDTIDVoided, true},
		{401, "", false},
		{403, "", false},
		{408, "", false},
		{409, "", false},
		{429, "", false},
		{500, "", false},
		{503, paymentapi.TypeRefundUnavailable, false},
	}
	for _, tt := range tests {
		p := &httpapi.ProblemError{Status: tt.status, Type: tt.typ}
		if got := refusal(p); got != tt.want {
			t.Errorf("refusal(%d %s) = %v, want %v", tt.status, tt.typ, got, tt.want)
		}
	}
}
