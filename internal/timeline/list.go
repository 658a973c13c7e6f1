package timeline

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"

	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/workflows"
)

// Statuses are the Temporal execution statuses a saga list can be
// filtered by. A compensated saga is Failed (its workflow fails with
// SagaCompensated); one waiting for an operator is still Running.
var Statuses = []string{"Running", "Completed", "Failed", "Canceled", "Terminated", "TimedOut"}

// ListQuery selects one page of recent sagas.
type ListQuery struct {
	Status string // one of Statuses, or "" for all
	// SagaStatus is a workflows.Status the saga's SagaStatus search
	// attribute must hold ("compensation_failed": the parked sagas), or "".
	SagaStatus string
	DTID       string // a DTID or its beginning, or ""
	PageSize   int    // 0 means 20
	PageToken  []byte // from the previous Page
}

// Summary is one saga in a list.
type Summary struct {
	DTID           string
	WorkflowID     string
	RunID          string
	TemporalStatus string
	// Status is the saga's own (compensated, compensation_failed, …) where
	// it could be read, else Temporal's, in lower case.
	Status   string
	Start    time.Time
	Close    time.Time
	Duration time.Duration // until now while open
	Amount   *Amount       // nil when the input could not be read
}

// Page is one page of sagas, most recent first.
type Page struct {
	Sagas         []Summary
	NextPageToken []byte
}

// rowConcurrency bounds the per-row reads of a page (input and status).
const rowConcurrency = 8

// List reads one page of sagas from Temporal visibility, most recent
// first, and for each its amount (the first history event, one small
// read) and its saga status (the close event of a closed run; the
// saga_state query, bounded to a second, of an open one — the only way to
// tell a running saga from one waiting for an operator).
func (t *Temporal) List(ctx context.Context, q ListQuery, now time.Time) (Page, error) {
	query, err := visibilityQuery(q)
	if err != nil {
		return Page{}, err
	}
	size := q.PageSize
	if size == 0 {
		size = 20
	}
	resp, err := t.Client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
		Namespace: t.Namespace, Query: query, PageSize: int32(size), NextPageToken: q.PageToken,
	})
	if err != nil {
		return Page{}, &SourceError{Source: "Temporal", Err: fmt.Errorf("list sagas (%s): %w", query, err)}
	}
	page := Page{Sagas: make([]Summary, len(resp.GetExecutions())), NextPageToken: resp.GetNextPageToken()}
	sem := make(chan struct{}, rowConcurrency)
	var wg sync.WaitGroup
	for i, info := range resp.GetExecutions() {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			page.Sagas[i] = t.summarize(ctx, info, now)
		})
	}
	wg.Wait()
	return page, nil
}

// visibilityQuery builds the list query. Its values are checked against
// closed sets and the DTID alphabet, so nothing a user types can change
// the query's meaning.
func visibilityQuery(q ListQuery) (string, error) {
	parts := []string{fmt.Sprintf("WorkflowType=%q", workflows.WorkflowType)}
	if q.Status != "" {
		if !slices.Contains(Statuses, q.Status) {
			return "", fmt.Errorf("status %q is not one of %s", q.Status, strings.Join(Statuses, ", "))
		}
		parts = append(parts, fmt.Sprintf("ExecutionStatus=%q", q.Status))
	}
	if q.DTID != "" {
		if err := ids.ValidateDTID(q.DTID); err != nil {
			return "", err
		}
		parts = append(parts, fmt.Sprintf("%s STARTS_WITH %q", ids.SearchAttributeDTID, q.DTID))
	}
	if q.SagaStatus != "" {
		if !slices.Contains(workflows.Statuses(), workflows.Status(q.SagaStatus)) {
			return "", fmt.Errorf("saga status %q is not one of %v", q.SagaStatus, workflows.Statuses())
		}
		parts = append(parts, fmt.Sprintf("%s=%q", ids.SearchAttributeSagaStatus, q.SagaStatus))
	}
	return strings.Join(parts, " AND "), nil
}

func (t *Temporal) summarize(ctx context.Context, info *workflowpb.WorkflowExecutionInfo, now time.Time) Summary {
	s := Summary{
		WorkflowID: info.GetExecution().GetWorkflowId(), RunID: info.GetExecution().GetRunId(),
		TemporalStatus: info.GetStatus().String(), Start: info.GetStartTime().AsTime(),
	}
	s.Status = strings.ToLower(s.TemporalStatus)
	dc := converter.GetDefaultDataConverter()
	if p := info.GetSearchAttributes().GetIndexedFields()[ids.SearchAttributeDTID]; p != nil {
		_ = dc.FromPayload(p, &s.DTID) // unreadable: falls back below
	}
	end := now
	if info.GetCloseTime() != nil {
		s.Close = info.GetCloseTime().AsTime()
		end = s.Close
	}
	s.Duration = end.Sub(s.Start)
	if first := t.oneEvent(ctx, s.WorkflowID, s.RunID, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT); first != nil {
		if in, err := inputOf(dc, first); err == nil {
			s.Amount = &Amount{Cents: in.AmountCents, Currency: in.Currency}
			if s.DTID == "" {
				s.DTID = in.DTID
			}
		}
	}
	if s.DTID == "" {
		s.DTID = s.WorkflowID // a saga started without a DTID takes its workflow ID
	}
	switch {
	case !s.Close.IsZero():
		if ev := t.oneEvent(ctx, s.WorkflowID, s.RunID, enumspb.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT); ev != nil {
			if st, ok := closedState(dc, ev); ok {
				s.Status = string(st.Status)
			}
		}
	default:
		qctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		if st, err := t.state(qctx, s.WorkflowID, s.RunID); err == nil {
			s.Status = string(st.Status)
		}
	}
	return s
}

// oneEvent reads the first event of a run's history under filter: the
// start event, or with the close-event filter the close event. Errors
// leave the row without the detail; the list itself still shows.
func (t *Temporal) oneEvent(ctx context.Context, workflowID, runID string, filter enumspb.HistoryEventFilterType) *historypb.HistoryEvent {
	resp, err := t.Client.WorkflowService().GetWorkflowExecutionHistory(ctx, &workflowservice.GetWorkflowExecutionHistoryRequest{
		Namespace: t.Namespace, Execution: execution(workflowID, runID), MaximumPageSize: 1, HistoryEventFilterType: filter,
	})
	if err != nil || len(resp.GetHistory().GetEvents()) == 0 {
		return nil
	}
	return resp.GetHistory().GetEvents()[0]
}
