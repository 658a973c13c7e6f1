package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/sagatrace/sagatrace/activities"
	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/services/order/orderapi"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
	"github.com/sagatrace/sagatrace/services/scoring/scoringapi"
)

// Step is one step of a saga as everything outside the workflow sees it:
// the name saga_state and the hop spans carry, the service it calls, the
// forward operation and the compensation that compensates it, the retry budget,
// and the scopes the worker's token needs there. The step table below is
// the only place these are written down; fault operations, the worker's
// scopes, the drill's expectations and the console's labels are derived
// from it. See docs/ARCHITECTURE.md, "Adding a saga step".
type Step struct {
	Name string
	// Audience is the service's token audience; "" for the scoring
	// stream, which the worker publishes to without a token.
	Audience string
	// Operation is the forward hop; Compensation compensates it, "" when the
	// step needs none (the last step: nothing after it can fail).
	Operation    ids.Operation
	Compensation ids.Operation
	// Attempts is the forward hop's retry budget; UntilItSucceeds retries
	// for as long as the step stays unavailable (a refusal still fails it
	// at once). A compensation's budget is CompensationAttempts for every
	// step: it is never given up.
	Attempts int32
	// Refusals are the ApplicationError types (activities.ErrorType of the
	// service's problem types) with which the service refuses the forward
	// hop having written nothing: only these drop the step's compensation.
	Refusals []string
	// Scopes are what the worker's token for Audience must hold: the
	// forward hop, the compensation, and the reads with which a
	// compensation finds what a step of unknown outcome created.
	Scopes []string
}

// UntilItSucceeds is a retry budget without a bound (Temporal's
// MaximumAttempts 0).
const UntilItSucceeds int32 = 0

// Step names, as saga_state, the hop spans (saga.step) and the console
// show them.
const (
	StepPayment = "payment"
	StepOrder   = "order"
	StepScoring = "scoring"
)

// OrderSagaSteps is the OrderSaga's step table, in the order the steps run.
func OrderSagaSteps() []Step {
	return []Step{
		{
			Name: StepPayment, Audience: paymentapi.Audience,
			Operation: paymentapi.OpCharge, Compensation: paymentapi.OpRefund, Attempts: StepAttempts,
			Refusals: []string{activities.ErrorType(paymentapi.TypePaymentDeclined)},
			Scopes:   []string{paymentapi.ScopeWrite, paymentapi.ScopeRefund, paymentapi.ScopeRead},
		},
		{
			Name: StepOrder, Audience: orderapi.Audience,
			Operation: orderapi.OpCreate, Compensation: orderapi.OpCancel, Attempts: StepAttempts,
			Refusals: []string{activities.ErrorType(orderapi.TypeOrderRejected)},
			Scopes:   []string{orderapi.ScopeWrite, orderapi.ScopeCancel, orderapi.ScopeRead},
		},
		// Analytics being down is no reason to refund a paid, confirmed
		// order: a publish the stream cannot take now (full, no quorum,
		// unreachable) is retried until it can; only a refusal compensates.
		{Name: StepScoring, Operation: scoringapi.OpPublish, Attempts: UntilItSucceeds},
	}
}

// Operations lists every operation of steps, forward and compensation, in
// table order: what a fault plan may name.
func Operations(steps []Step) []ids.Operation {
	var ops []ids.Operation
	for _, st := range steps {
		ops = append(ops, st.Operation)
		if st.Compensation != "" {
			ops = append(ops, st.Compensation)
		}
	}
	return ops
}

// WorkerScopes returns the scopes the saga worker's token for audience
// needs to run steps.
func WorkerScopes(steps []Step, audience string) []string {
	var scopes []string
	for _, st := range steps {
		if st.Audience == audience {
			scopes = append(scopes, st.Scopes...)
		}
	}
	return scopes
}

// Audiences returns the services steps call, in table order.
func Audiences(steps []Step) []string {
	var out []string
	for _, st := range steps {
		if st.Audience != "" {
			out = append(out, st.Audience)
		}
	}
	return out
}

// StepOf returns the step of steps whose forward or compensation
// operation is op.
func StepOf(steps []Step, op ids.Operation) (Step, bool) {
	for _, st := range steps {
		if st.Operation == op || st.Compensation == op {
			return st, true
		}
	}
	return Step{}, false
}

// action is what a saga does for one operation of a step, bound to the
// run's state: the forward hop, or the compensation with the number of
// attempts its earlier executions made.
type (
	forwardFunc      func(ctx workflow.Context) error
	compensationFunc func(ctx workflow.Context, priorAttempts int32) error
)

// boundStep is a Step with the workflow code that performs it.
type boundStep struct {
	Step
	do         forwardFunc
	compensate compensationFunc // nil when Step.Compensation is ""
}
