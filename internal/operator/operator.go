// Package operator is what an operator does to sagas through Temporal:
// find them by status (the SagaStatus search attribute), and retry or
// resolve a parked saga's compensation with the saga's Workflow Updates
// (workflows/operator.go). The CLI's `sagas`, `retry-compensation` and
// `resolve-compensation` commands are thin over it.
package operator

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/workflows"
)

// Saga is one saga as the operator's list shows it.
type Saga struct {
	DTID       string           `json:"dtid"`
	WorkflowID string           `json:"workflow_id"`
	RunID      string           `json:"run_id"`
	Status     workflows.Status `json:"status"`
	Step       string           `json:"step"`
	Attempts   int32            `json:"attempts"` // of the step's last hop
	Started    time.Time        `json:"started"`
	LastError  string           `json:"last_error,omitempty"`
	// AutoRetries is how often the saga retried its compensation by
	// itself; NextAutoRetry when it does next (nil: it waits for an
	// operator alone).
	AutoRetries   int32      `json:"auto_retries,omitempty"`
	NextAutoRetry *time.Time `json:"next_auto_retry,omitempty"`
}

// List returns the sagas in status, newest first, at most limit, each with
// its saga_state (one query per saga, so keep limit modest). For
// compensation_failed it also finds sagas parked by a build from before
// the SagaStatus attribute: open OrderSagas without it, whose state says
// they are parked.
func List(ctx context.Context, c client.Client, namespace string, status workflows.Status, limit int) ([]Saga, error) {
	queries := []string{fmt.Sprintf("%s=%q", ids.SearchAttributeSagaStatus, status)}
	if status == workflows.StatusCompensationFailed {
		queries = append(queries, fmt.Sprintf("WorkflowType=%q AND ExecutionStatus=%q AND %s IS NULL",
			workflows.WorkflowType, "Running", ids.SearchAttributeSagaStatus))
	}
	var out []Saga
	seen := map[string]bool{}
	for _, q := range queries {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: namespace, Query: q, PageSize: int32(limit)})
		if err != nil {
			return nil, fmt.Errorf("visibility query %s: %w", q, err)
		}
		for _, e := range resp.GetExecutions() {
			if len(out) == limit {
				return out, nil
			}
			sg := Saga{WorkflowID: e.GetExecution().GetWorkflowId(), RunID: e.GetExecution().GetRunId(), Started: e.GetStartTime().AsTime()}
			if seen[sg.WorkflowID] {
				continue // the attribute was set between the two queries
			}
			seen[sg.WorkflowID] = true
			st, err := state(ctx, c, sg.WorkflowID, sg.RunID)
			if err != nil {
				return nil, err
			}
			if st.Status != status {
				continue // an old build's saga that is not parked, or the attribute lags
			}
			sg.DTID, sg.Status, sg.Step, sg.LastError = st.DTID, st.Status, st.Step, st.Error
			sg.AutoRetries, sg.NextAutoRetry = st.AutoRetries, st.NextAutoRetry
			if n := len(st.Hops); n > 0 {
				sg.Attempts = st.Hops[n-1].Attempt
			}
			out = append(out, sg)
		}
	}
	return out, nil
}

func state(ctx context.Context, c client.Client, workflowID, runID string) (workflows.State, error) {
	v, err := c.QueryWorkflow(ctx, workflowID, runID, workflows.QuerySagaState)
	var st workflows.State
	if err == nil {
		err = v.Get(&st)
	}
	if err != nil {
		return st, fmt.Errorf("query %s of %s: %w", workflows.QuerySagaState, workflowID, err)
	}
	return st, nil
}

// Outcome is what came of one operator action.
type Outcome struct {
	WorkflowID string
	// State is the saga's answer: parked again, or gone on.
	State workflows.State
	// BySignal: the saga was parked by an earlier build and took the
	// retry-compensation signal instead of the update; it answers nothing.
	BySignal bool
}

// Act sends update (workflows.UpdateRetryCompensation or
// UpdateResolveCompensation) to the saga of workflowID and waits for its
// answer. A saga parked by an earlier build refuses updates and waits for
// the signal: a retry is sent to it as the signal; a resolve cannot be.
func Act(ctx context.Context, c client.Client, workflowID, update string, req workflows.OperatorRequest) (Outcome, error) {
	out := Outcome{WorkflowID: workflowID}
	h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: workflowID, UpdateName: update, Args: []any{req}, WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = h.Get(ctx, &out.State)
	}
	switch {
	case err == nil:
		return out, nil
	case strings.Contains(err.Error(), workflows.ParkedByEarlierBuild) && update == workflows.UpdateRetryCompensation:
		if err := c.SignalWorkflow(ctx, workflowID, "", workflows.SignalRetryCompensation, nil); err != nil {
			return out, fmt.Errorf("signal %s to %s: %w", workflows.SignalRetryCompensation, workflowID, err)
		}
		out.BySignal = true
		return out, nil
	}
	return out, fmt.Errorf("%s %s: %w", update, workflowID, err)
}
