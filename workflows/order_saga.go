package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Retry budgets, in attempts per activity execution. A forward step that
// keeps failing is given up and compensated; a compensation that keeps
// failing is not given up: the saga waits for an operator. Drills size
// their faults by them.
const (
	StepAttempts         = 5
	CompensationAttempts = 8
)

// Backoff of the retries: from 200 ms, doubling, up to the maximum.
const (
	retryInitialInterval         = 200 * time.Millisecond
	stepRetryMaxInterval         = 2 * time.Second
	compensationRetryMaxInterval = 5 * time.Second
)

func retryPolicy(attempts int32, maxInterval time.Duration) *temporal.RetryPolicy {
	return &temporal.RetryPolicy{
		InitialInterval: retryInitialInterval, BackoffCoefficient: 2,
		MaximumInterval: maxInterval, MaximumAttempts: attempts,
	}
}

const activityTimeout = 10 * time.Second

// OrderSaga runs payment → order → scoring for one business transaction.
// A step that fails for good is followed by the compensation, in reverse
// order, of every earlier step that may have applied; the workflow then
// fails with a non-retryable SagaCompensated error whose details hold the
// Result.
//
// OrderSaga is the saga with the zero Options (no automatic retry of a
// parked saga); a worker registers it with its own (RegisterWith).
func OrderSaga(ctx workflow.Context, in Input) (Result, error) { return orderSaga(ctx, in, Options{}) }

func orderSaga(ctx workflow.Context, in Input, opts Options) (Result, error) {
	s := newSaga(ctx, in)
	s.opts = opts
	steps, err := s.bind(OrderSagaSteps())
	if err != nil {
		return s.state, err
	}
	return s.execute(ctx, steps)
}

// bind attaches to each step of the table the workflow code that runs its
// operations (hops.go).
func (s *saga) bind(table []Step) ([]boundStep, error) {
	steps := make([]boundStep, len(table))
	for i, st := range table {
		do, ok := s.forwardHops()[st.Operation]
		if !ok {
			return nil, fmt.Errorf("step %s: no workflow code for operation %s", st.Name, st.Operation)
		}
		steps[i] = boundStep{Step: st, do: do}
		if st.Compensation != "" {
			if steps[i].compensate, ok = s.compensationHops()[st.Compensation]; !ok {
				return nil, fmt.Errorf("step %s: no workflow code for compensation %s", st.Name, st.Compensation)
			}
		}
	}
	return steps, nil
}
