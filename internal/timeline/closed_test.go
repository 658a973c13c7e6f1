package timeline

import (
	"testing"

	failurepb "go.temporal.io/api/failure/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/converter"

	"github.com/sagatrace/sagatrace/workflows"
)

// The saga's state is read from whichever way its run closed.
func TestClosedStateOfEveryClose(t *testing.T) {
	dc := converter.GetDefaultDataConverter()
	payloads := func(st workflows.Status) *historypb.HistoryEvent_WorkflowExecutionCompletedEventAttributes {
		p, _ := dc.ToPayloads(workflows.State{Status: st})
		return &historypb.HistoryEvent_WorkflowExecutionCompletedEventAttributes{
			WorkflowExecutionCompletedEventAttributes: &historypb.WorkflowExecutionCompletedEventAttributes{Result: p}}
	}
	details, _ := dc.ToPayloads(workflows.State{Status: workflows.StatusCompensated})
	tests := []struct {
		name   string
		ev     *historypb.HistoryEvent
		want   workflows.Status
		wantOK bool
	}{
		{"completed", &historypb.HistoryEvent{Attributes: payloads(workflows.StatusCompleted)}, workflows.StatusCompleted, true},
		{"compensated", &historypb.HistoryEvent{Attributes: &historypb.HistoryEvent_WorkflowExecutionFailedEventAttributes{
			WorkflowExecutionFailedEventAttributes: &historypb.WorkflowExecutionFailedEventAttributes{Failure: &failurepb.Failure{
				FailureInfo: &failurepb.Failure_ApplicationFailureInfo{ApplicationFailureInfo: &failurepb.ApplicationFailureInfo{
					Type: workflows.ErrTypeCompensated, Details: details}}}}}}, workflows.StatusCompensated, true},
		{"cancelled_with_state", &historypb.HistoryEvent{Attributes: &historypb.HistoryEvent_WorkflowExecutionCanceledEventAttributes{
			WorkflowExecutionCanceledEventAttributes: &historypb.WorkflowExecutionCanceledEventAttributes{Details: details}}}, workflows.StatusCompensated, true},
		{"cancelled_by_an_older_build", &historypb.HistoryEvent{Attributes: &historypb.HistoryEvent_WorkflowExecutionCanceledEventAttributes{
			WorkflowExecutionCanceledEventAttributes: &historypb.WorkflowExecutionCanceledEventAttributes{}}}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, ok := closedState(dc, tt.ev)
			if ok != tt.wantOK || (ok && st.Status != tt.want) {
				t.Errorf("closedState = %+v, %v; want %s, %v", st, ok, tt.want, tt.wantOK)
			}
		})
	}
}
