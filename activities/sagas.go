package activities

import (
	"context"
	"fmt"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/sagatrace/sagatrace/internal/ids"
)

// Sagas answers the saga's questions about other sagas, from Temporal's
// visibility. Temporal keeps one workflow per workflow ID, but two IDs own
// one DTID: the one `sagatrace start` gives it (order-saga-<dtid>) and the
// DTID itself, for a saga the Temporal CLI started without a dtid. Every
// step's idempotency key and compensation is by DTID, so a second saga of
// a DTID would replay the first's steps and could compensate them.
type Sagas struct {
	Client    client.Client
	Namespace string
}

// OtherSagaOfDTID returns the workflow ID of a saga other than workflowID
// that visibility lists with dtid, or "". Visibility lags a start by
// moments: two sagas of one DTID started within that window both pass.
func (a *Sagas) OtherSagaOfDTID(ctx context.Context, dtid, workflowID string) (string, error) {
	other, _, err := FindSaga(ctx, a.Client, a.Namespace, dtid, workflowID)
	return other, err
}

// FindSaga returns the workflow and run ID of a saga of dtid that
// visibility lists, other than the workflow except ("" excepts none), or
// "". It is OtherSagaOfDTID for callers outside a saga (`sagatrace
// start`); a function, not a method, because the worker registers every
// method of Sagas as an activity.
func FindSaga(ctx context.Context, c client.Client, namespace, dtid, except string) (workflowID, runID string, err error) {
	query := fmt.Sprintf("%s=%q", ids.SearchAttributeDTID, dtid)
	resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: namespace, Query: query, PageSize: 10})
	if err != nil {
		return "", "", fmt.Errorf("visibility query %s: %w", query, err)
	}
	for _, e := range resp.GetExecutions() {
		if id := e.GetExecution().GetWorkflowId(); id != except {
			return id, e.GetExecution().GetRunId(), nil
		}
	}
	return "", "", nil
}
