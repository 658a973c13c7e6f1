package workflows

import (
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// StartOptions are how every sagatrace starter (start, drill, bench) starts
// the saga of dtid on queue. The same DTID is the same workflow: a second
// start joins the running saga and is refused after it closed, so nothing
// is charged twice. The DTID search attribute is set at start, so the
// saga is findable at once and the workflow has nothing to upsert (an
// upsert is one more command and visibility write per saga).
func StartOptions(dtid, queue string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID:                       WorkflowID(dtid),
		TaskQueue:                queue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		TypedSearchAttributes:    temporal.NewSearchAttributes(DTIDSearchAttribute.ValueSet(dtid)),
	}
}
