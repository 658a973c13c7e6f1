package payment_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/services/payment"
)

func TestChargeDeclinedByProcessor(t *testing.T) {
	e := newEnv(t, payment.Config{FaultsEnabled: true})
	dtid := ids.NewDTID()
	key := ids.IdempotencyKey(dtid, "payment")
	for attempt := range 2 { // the replay answers the same and writes nothing
		ctx, traceID := e.Hop(t, dtid)
		ctx = httpapi.WithFaults(ctx, "payment.charge=error,order.create=error")
		_, err := e.client.Charge(ctx, key, chargeReq(dtid))
		var pe *httpapi.ProblemError
		if !errors.As(err, &pe) || pe.Status != 422 || pe.Type != payment.TypePaymentDeclined || pe.Retryable() {
			t.Fatalf("attempt %d: err = %v, want 422 %s", attempt+1, err, payment.TypePaymentDeclined)
		}
		if pe.DTID != dtid || pe.CorrelationID != traceID {
			t.Errorf("problem identities = %q %q, want %q %q", pe.DTID, pe.CorrelationID, dtid, traceID)
		}
	}
	page, err := e.client.List(context.Background(), payment.ListFilter{DTID: dtid})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("list = %+v, %v", page, err)
	}
	p := page.Items[0]
	if got := states(p.History); p.State != payment.StateDeclined || !slices.Equal(got, []payment.State{"stored", "initiated", "declined"}) {
		t.Errorf("state %s, history %v", p.State, got)
	}
	if n := e.Count(t, "payment_events"); n != 3 {
		t.Errorf("audit rows = %d, want 3", n)
	}
}

func TestChargeFaultsIgnoredWhenDisabled(t *testing.T) {
	e := newEnv(t, payment.Config{FaultsEnabled: false})
	for range 2 {
		dtid := ids.NewDTID()
		ctx, _ := e.Hop(t, dtid)
		p, err := e.client.Charge(httpapi.WithFaults(ctx, "payment.charge=error"), ids.IdempotencyKey(dtid, "payment"), chargeReq(dtid))
		if err != nil || p.State != payment.StateCompleted {
			t.Fatalf("charge = %+v, %v; want completed", p, err)
		}
	}
	if n := strings.Count(e.Logs(), "fault injection is disabled"); n != 1 {
		t.Errorf("warnings = %d, want exactly 1 per server:\n%s", n, e.Logs())
	}
}
