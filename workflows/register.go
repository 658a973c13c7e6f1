package workflows

import "go.temporal.io/sdk/workflow"

// workflowOptions registers OrderSaga under its contract name.
func workflowOptions() workflow.RegisterOptions {
	return workflow.RegisterOptions{Name: WorkflowType}
}

// Registry is what a worker offers to register workflows on.
type Registry interface {
	RegisterWorkflowWithOptions(w any, options workflow.RegisterOptions)
}

// Register registers every workflow of this package on r.
func Register(r Registry) { r.RegisterWorkflowWithOptions(OrderSaga, workflowOptions()) }
