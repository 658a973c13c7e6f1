package drill

import (
	"slices"
	"testing"

	"github.com/sagatrace/sagatrace/services/order/orderapi"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
	"github.com/sagatrace/sagatrace/services/scoring/scoringapi"
	"github.com/sagatrace/sagatrace/workflows"
)

// completedLedger is a saga that completed with everything in order.
func completedLedger() Ledger {
	return Ledger{
		DTID: "d-1", AmountCents: 1299, ScoreDelta: 12, Outcome: workflows.StatusCompleted,
		Hops: []workflows.Hop{
			{Operation: "payment.charge", CorrelationID: "c-charge", Attempt: 1},
			{Operation: "order.create", CorrelationID: "c-create", Attempt: 1},
			{Operation: "scoring.publish", CorrelationID: "c-publish", Attempt: 1},
		},
		Payments: []paymentapi.Payment{{PaymentID: "p-1", AmountCents: 1299, State: paymentapi.StateCompleted,
			History: []paymentapi.StateChange{{State: "stored", CorrelationID: "c-charge"}, {State: "completed", CorrelationID: "c-charge"}}}},
		Orders: []orderapi.Order{{OrderID: "o-1", CreateRequest: orderapi.CreateRequest{PaymentID: "p-1"}, State: orderapi.StateConfirmed,
			History: []orderapi.StateChange{{State: "confirmed", CorrelationID: "c-create"}}}},
		Score:  &scoringapi.Score{ProfileID: "drill-d-1", Score: 12, Events: 1},
		Traces: map[string]bool{"c-charge": true, "c-create": true, "c-publish": true},
	}
}

// compensatedLedger is a saga whose order failed and whose refund, after
// parking once, went through.
func compensatedLedger() Ledger {
	l := completedLedger()
	l.Outcome, l.Want, l.WantParked, l.Parked, l.ParkedEvent = workflows.StatusCompensated, workflows.StatusCompensated, true, true, true
	l.Hops = []workflows.Hop{
		{Operation: "payment.charge", CorrelationID: "c-charge", Attempt: 1},
		{Operation: "order.create", CorrelationID: "c-create", Attempt: 1, Outcome: "error"},
		{Operation: "payment.refund", Compensation: true, CorrelationID: "c-refund-8", Attempt: 8, Outcome: "error"},
		{Operation: "payment.refund", Compensation: true, CorrelationID: "c-refund", Attempt: 2},
	}
	l.Payments[0].State = paymentapi.StateRefunded
	l.Payments[0].History = append(l.Payments[0].History, paymentapi.StateChange{State: "refunded", CorrelationID: "c-refund"})
	l.Orders, l.Score = nil, nil
	l.Traces = map[string]bool{"c-charge": true, "c-create": true, "c-refund-8": true, "c-refund": true}
	return l
}

// Each case breaks the ledger the way a real bug would and names every
// invariant that must then fail; a healthy ledger must pass.
func TestCheckCatchesBrokenLedgers(t *testing.T) {
	tests := []struct {
		name    string
		base    func() Ledger
		breakIt func(*Ledger)
		want    []string
	}{
		{"healthy_completed", completedLedger, func(*Ledger) {}, nil},
		{"healthy_compensated_after_parking", compensatedLedger, func(*Ledger) {}, nil},

		{"outcome_stuck_in_compensation_failed", compensatedLedger, func(l *Ledger) { l.Outcome = workflows.StatusCompensationFailed }, []string{InvOutcome}},
		{"outcome_not_what_the_scenario_expects", compensatedLedger, func(l *Ledger) { l.Want = workflows.StatusCompleted }, []string{InvOutcome}},
		{"outcome_lost_track", completedLedger, func(l *Ledger) { l.Error = "start saga: unavailable" }, []string{InvOutcome}},
		{"outcome_never_seen_parked", compensatedLedger, func(l *Ledger) { l.Parked = false }, []string{InvOutcome}},
		{"outcome_parked_without_span_event", compensatedLedger, func(l *Ledger) { l.ParkedEvent = false }, []string{InvOutcome}},

		{"money_charged_more_than_the_amount", completedLedger, func(l *Ledger) { l.Payments[0].AmountCents = 2598 }, []string{InvMoney}},
		{"money_refund_lost", compensatedLedger, func(l *Ledger) { l.Payments[0].State = paymentapi.StateCompleted },
			[]string{InvMoney, InvChargeAccounted}},

		{"order_paid_twice_confirmed", completedLedger, func(l *Ledger) {
			l.Orders = append(l.Orders, orderapi.Order{OrderID: "o-2", CreateRequest: orderapi.CreateRequest{PaymentID: "p-1"}, State: orderapi.StateConfirmed})
		}, []string{InvOrderPaid}},
		{"order_confirmed_without_payment", completedLedger, func(l *Ledger) { l.Payments = nil },
			[]string{InvMoney, InvOrderPaid}},

		{"charge_left_initiated", compensatedLedger, func(l *Ledger) { l.Payments[0].State = paymentapi.StateInitiated }, []string{InvChargeAccounted}},
		{"charge_kept_after_the_order_was_cancelled", completedLedger, func(l *Ledger) {
			l.Orders[0].State = orderapi.StateCancelled
			l.Outcome = workflows.StatusCompensated
			l.Score = nil
		}, []string{InvMoney, InvChargeAccounted}},

		{"scored_twice", completedLedger, func(l *Ledger) { l.Score.Events, l.Score.Score = 2, 24 }, []string{InvScoredOnce}},
		{"completed_never_scored", completedLedger, func(l *Ledger) { l.Score = nil }, []string{InvScoredOnce}},
		{"undone_but_scored", compensatedLedger, func(l *Ledger) { l.Score = &scoringapi.Score{Score: 12, Events: 1} }, []string{InvScoredOnce}},

		{"hop_trace_missing", completedLedger, func(l *Ledger) { delete(l.Traces, "c-publish") }, []string{InvTraced}},
		{"hop_without_correlation_id", completedLedger, func(l *Ledger) { l.Hops[2].CorrelationID = "" }, []string{InvTraced}},
		{"audit_row_of_a_lost_attempt_untraced", completedLedger, func(l *Ledger) {
			l.Payments[0].History[0].CorrelationID = "c-crashed-attempt"
		}, []string{InvTraced}},

		{"abandoned_charge_traced_at_the_service", compensatedLedger, func(l *Ledger) {
			l.Hops[0] = workflows.Hop{Operation: "payment.charge", Outcome: "error", Error: canceledHop}
			l.AbandonedTrace, l.Traces["c-late"] = "c-late", true
		}, nil},
		{"abandoned_charge_never_found_at_the_service", compensatedLedger, func(l *Ledger) {
			l.Hops[0] = workflows.Hop{Operation: "payment.charge", Outcome: "error", Error: canceledHop}
		}, []string{InvTraced}},
		{"abandoned_charge_found_but_not_by_the_dtid", compensatedLedger, func(l *Ledger) {
			l.Hops[0] = workflows.Hop{Operation: "payment.charge", Outcome: "error", Error: canceledHop}
			l.AbandonedTrace = "c-late"
		}, []string{InvTraced}},

		{"exercised_error_fault_shows_as_a_failed_hop", compensatedLedger, func(l *Ledger) {
			l.Faults = map[string]string{"order.create": "error"}
		}, nil},
		{"exercised_transient_fault_shows_as_a_later_attempt", completedLedger, func(l *Ledger) {
			l.Faults = map[string]string{"payment.charge": "transient:2"}
			l.Hops[0].Attempt = 3
		}, nil},
		{"exercised_fault_that_never_hit", completedLedger, func(l *Ledger) {
			l.Faults = map[string]string{"payment.charge": "transient:2"} // every hop answered on attempt 1
		}, []string{InvExercised}},
		{"exercised_fault_on_a_hop_never_run", completedLedger, func(l *Ledger) {
			l.Faults = map[string]string{"payment.refund": "transient:9"}
		}, []string{InvExercised}},
		{"exercised_latency_is_the_race's_to_prove", completedLedger, func(l *Ledger) {
			l.Faults = map[string]string{"order.create": "latency:3s"}
		}, nil},
		{"exercised_race_landed", compensatedLedger, func(l *Ledger) {
			l.Race, l.RaceLanded, l.Evidence = RaceLateCharge, true, "late charge refused 409 dtid-voided"
		}, nil},
		{"exercised_race_missed", compensatedLedger, func(l *Ledger) {
			l.Race, l.Evidence = RaceLateCharge, "the late charge was accepted"
		}, []string{InvExercised}},
		{"late_charge_accepted_takes_money", compensatedLedger, func(l *Ledger) {
			l.Race, l.Evidence = RaceLateCharge, "the late charge was accepted"
			l.Payments = append(l.Payments, paymentapi.Payment{PaymentID: "p-late", AmountCents: 1299, State: paymentapi.StateCompleted})
		}, []string{InvMoney, InvChargeAccounted, InvExercised}},
		{"exercised_unreadable_plan", completedLedger, func(l *Ledger) {
			l.Faults = map[string]string{"payment.charge": "sometimes"}
		}, []string{InvExercised}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := tt.base()
			tt.breakIt(&l)
			var got []string
			for _, v := range Check(l) {
				if v.DTID != l.DTID || v.Detail == "" {
					t.Errorf("violation %+v lacks its DTID or detail", v)
				}
				if !slices.Contains(got, v.Invariant) {
					got = append(got, v.Invariant)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("broken invariants = %v, want %v; violations: %+v", got, tt.want, Check(l))
			}
		})
	}
}
