package timeline

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/workflows"
)

// Temporal reads sagas from one Temporal namespace.
type Temporal struct {
	Client    client.Client
	Namespace string
	// QueryTimeout bounds one saga_state query, which needs a worker to
	// answer; 0 means 5 s.
	QueryTimeout time.Duration
	// DataConverter decodes the payloads of the history, the Client's own
	// (payloadcodec.DataConverter when payloads are encrypted); nil means
	// Temporal's default.
	DataConverter converter.DataConverter
}

// Saga finds the workflow of dtid and reads it: its history (input,
// signals, and the final state of a closed run) and, while it is open —
// or when its result holds no state — the saga_state query. A query that
// fails (no worker polls) is a note, not an error: the rest still shows.
// It returns ErrNoWorkflow when Temporal knows no run of dtid, and a
// *SourceError when Temporal failed.
func (t *Temporal) Saga(ctx context.Context, dtid string) (*Saga, error) {
	info, err := t.locate(ctx, dtid)
	if errors.Is(err, ErrNoWorkflow) {
		return nil, err
	}
	if err != nil {
		return nil, &SourceError{Source: "Temporal", Err: err}
	}
	s := &Saga{
		WorkflowID:     info.GetExecution().GetWorkflowId(),
		RunID:          info.GetExecution().GetRunId(),
		TemporalStatus: info.GetStatus().String(),
		Start:          info.GetStartTime().AsTime(),
	}
	if info.GetCloseTime() != nil {
		s.Close = info.GetCloseTime().AsTime()
	}
	dc := t.DataConverter
	if dc == nil {
		dc = converter.GetDefaultDataConverter()
	}
	r := historyReader{dc: dc, saga: s}
	it := t.Client.GetWorkflowHistory(ctx, s.WorkflowID, s.RunID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return nil, &SourceError{Source: "Temporal", Err: fmt.Errorf("history of workflow %s: %w", s.WorkflowID, err)}
		}
		r.add(ev)
	}
	if s.Open() || s.State == nil {
		if st, err := t.state(ctx, s.WorkflowID, s.RunID); err == nil {
			s.State = st
		} else {
			s.Notes = append(s.Notes, fmt.Sprintf("the %s query did not answer (is a saga worker running?): %v", workflows.QuerySagaState, err))
		}
	}
	return s, nil
}

// locate finds the DTID's run: by the DTID search attribute (the most
// recent run, should several workflows share it), else by the workflow
// IDs a DTID maps to — order-saga-<dtid> from `sagatrace start`, or the
// DTID itself for a saga started by the Temporal CLI — because
// visibility lags a just-started workflow by a moment.
func (t *Temporal) locate(ctx context.Context, dtid string) (*workflowpb.WorkflowExecutionInfo, error) {
	resp, err := t.Client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
		Namespace: t.Namespace, Query: fmt.Sprintf("%s=%q", ids.SearchAttributeDTID, dtid), PageSize: 10,
	})
	if err != nil {
		return nil, fmt.Errorf("visibility query %s=%q: %w", ids.SearchAttributeDTID, dtid, err)
	}
	if execs := resp.GetExecutions(); len(execs) > 0 {
		return slices.MaxFunc(execs, func(a, b *workflowpb.WorkflowExecutionInfo) int {
			return a.GetStartTime().AsTime().Compare(b.GetStartTime().AsTime())
		}), nil
	}
	for _, id := range []string{workflows.WorkflowID(dtid), dtid} {
		d, err := t.Client.DescribeWorkflowExecution(ctx, id, "")
		var notFound *serviceerror.NotFound
		switch {
		case errors.As(err, &notFound):
			continue
		case err != nil:
			return nil, fmt.Errorf("describe workflow %s: %w", id, err)
		}
		return d.GetWorkflowExecutionInfo(), nil
	}
	return nil, ErrNoWorkflow
}

func (t *Temporal) state(ctx context.Context, workflowID, runID string) (*workflows.State, error) {
	timeout := t.QueryTimeout
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	v, err := t.Client.QueryWorkflow(ctx, workflowID, runID, workflows.QuerySagaState)
	if err != nil {
		return nil, err
	}
	var st workflows.State
	if err := v.Get(&st); err != nil {
		return nil, fmt.Errorf("decode %s: %w", workflows.QuerySagaState, err)
	}
	return &st, nil
}

// RetryCompensation sends the retry-compensation signal to the saga's run,
// after an operator fixed what made a compensation fail.
func (t *Temporal) RetryCompensation(ctx context.Context, workflowID, runID string) error {
	if err := t.Client.SignalWorkflow(ctx, workflowID, runID, workflows.SignalRetryCompensation, nil); err != nil {
		return fmt.Errorf("signal %s to workflow %s: %w", workflows.SignalRetryCompensation, workflowID, err)
	}
	return nil
}

// execution names one run for the raw workflow service API.
func execution(workflowID, runID string) *commonpb.WorkflowExecution {
	return &commonpb.WorkflowExecution{WorkflowId: workflowID, RunId: runID}
}
