package drill

import (
	"github.com/sagatrace/sagatrace/services/order/orderapi"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
	"github.com/sagatrace/sagatrace/workflows"
)

// The money, order, scoring and tracing invariants of Check, each over the
// services' own records of one DTID.

func checkMoney(l Ledger, add addFunc) {
	var net int64
	for _, p := range l.Payments {
		if p.State == paymentapi.StateCompleted {
			net += p.AmountCents
		}
	}
	confirmed := len(confirmedOrders(l.Orders))
	switch {
	case confirmed > 0 && net != l.AmountCents:
		add(InvMoney, "the order is confirmed, but the net money taken is %d cents, not the amount %d", net, l.AmountCents)
	case confirmed == 0 && net != 0:
		add(InvMoney, "%d cents taken without a confirmed order", net)
	}
}

func checkOrderPaid(l Ledger, add addFunc) {
	confirmed := confirmedOrders(l.Orders)
	if len(confirmed) > 1 {
		add(InvOrderPaid, "%d confirmed orders for one transaction", len(confirmed))
	}
	for _, o := range confirmed {
		p, ok := paymentByID(l.Payments, o.PaymentID)
		switch {
		case !ok:
			add(InvOrderPaid, "order %s is confirmed, but its payment %q is not a payment of the transaction", o.OrderID, o.PaymentID)
		case p.State != paymentapi.StateCompleted:
			add(InvOrderPaid, "order %s is confirmed, but its payment %s is %s", o.OrderID, p.PaymentID, p.State)
		}
	}
}

func checkChargeAccounted(l Ledger, add addFunc) {
	for _, p := range l.Payments {
		switch p.State {
		case paymentapi.StateCompleted:
			if !orderedWith(l.Orders, p.PaymentID) {
				add(InvChargeAccounted, "payment %s is charged, but no confirmed order refers to it and it was not refunded", p.PaymentID)
			}
		case paymentapi.StateStored, paymentapi.StateInitiated:
			add(InvChargeAccounted, "payment %s was left %s", p.PaymentID, p.State)
		}
	}
}

func checkScoredOnce(l Ledger, add addFunc) {
	if l.ScoreShared != "" {
		return
	}
	switch l.Outcome {
	case workflows.StatusCompleted:
		switch {
		case l.Score == nil:
			add(InvScoredOnce, "the saga completed, but its profile has no score")
		case l.Score.Events != 1 || l.Score.Score != l.ScoreDelta:
			add(InvScoredOnce, "the profile has %d points from %d events, want %d points from 1", l.Score.Score, l.Score.Events, l.ScoreDelta)
		}
	case workflows.StatusCompensated:
		if l.Score != nil {
			add(InvScoredOnce, "the saga was compensated, but its profile has %d points from %d events", l.Score.Score, l.Score.Events)
		}
	}
}

// canceledHop is the error saga_state records for a hop whose activity the
// saga's cancellation abandoned in flight (the SDK's CanceledError): its
// answer, and so its correlation ID, never reached the workflow.
const canceledHop = "canceled"

func checkTraced(l Ledger, add addFunc) {
	for _, h := range l.Hops {
		switch {
		case h.CorrelationID == "" && h.Error == canceledHop:
			// The attempt is traced if the drill found it at the service.
			if l.AbandonedTrace == "" || !l.Traces[l.AbandonedTrace] {
				add(InvTraced, "hop %s was abandoned in flight by the cancel, and its trace was not found at the service by the dtid", h.Operation)
			}
		case h.CorrelationID == "":
			add(InvTraced, "hop %s (attempt %d) has no correlation ID in saga_state", h.Operation, h.Attempt)
		case !l.Traces[h.CorrelationID]:
			add(InvTraced, "hop %s: trace %s not found in Jaeger by its dtid", h.Operation, h.CorrelationID)
		}
	}
	// The services' audit rows name the attempt that wrote them, also one
	// that saga_state never saw (its answer was lost in a crash).
	seen := map[string]bool{}
	row := func(what, cid string) {
		if cid == "" || seen[cid] || l.Traces[cid] {
			return
		}
		seen[cid] = true
		add(InvTraced, "%s was written by correlation ID %s, whose trace Jaeger does not find by the dtid", what, cid)
	}
	for _, p := range l.Payments {
		for _, c := range p.History {
			row("payment "+p.PaymentID+" row "+string(c.State), c.CorrelationID)
		}
	}
	for _, o := range l.Orders {
		for _, c := range o.History {
			row("order "+o.OrderID+" row "+string(c.State), c.CorrelationID)
		}
	}
}

func confirmedOrders(orders []orderapi.Order) []orderapi.Order {
	var out []orderapi.Order
	for _, o := range orders {
		if o.State == orderapi.StateConfirmed {
			out = append(out, o)
		}
	}
	return out
}

func orderedWith(orders []orderapi.Order, paymentID string) bool {
	for _, o := range confirmedOrders(orders) {
		if o.PaymentID == paymentID {
			return true
		}
	}
	return false
}

func paymentByID(payments []paymentapi.Payment, id string) (paymentapi.Payment, bool) {
	for _, p := range payments {
		if p.PaymentID == id {
			return p, true
		}
	}
	return paymentapi.Payment{}, false
}
