package workflows

import "go.temporal.io/sdk/workflow"

// workflowOptions registers OrderSaga under its contract name, as
// AutoUpgrade: on a versioned worker, a saga's next workflow task goes to
// whichever build is the current version, not to the build it started on.
// A parked saga may wait days for an operator; pinned, it would keep its
// build's workers running all that time. Moving is safe because every
// change to the saga's logic is gated by workflow.GetVersion (versions.go)
// and the replay test replays the corpus of older builds' histories.
func workflowOptions() workflow.RegisterOptions {
	return workflow.RegisterOptions{Name: WorkflowType, VersioningBehavior: workflow.VersioningBehaviorAutoUpgrade}
}

// Registry is what a worker offers to register workflows on.
type Registry interface {
	RegisterWorkflowWithOptions(w any, options workflow.RegisterOptions)
}

// Register registers every workflow of this package on r, with the zero
// Options.
func Register(r Registry) { r.RegisterWorkflowWithOptions(OrderSaga, workflowOptions()) }

// RegisterWith registers every workflow of this package on r with opts,
// as a worker does. What a saga takes from opts is recorded in its
// history, so workers with other options replay it the same.
func RegisterWith(r Registry, opts Options) {
	r.RegisterWorkflowWithOptions(func(ctx workflow.Context, in Input) (Result, error) { return orderSaga(ctx, in, opts) }, workflowOptions())
}
