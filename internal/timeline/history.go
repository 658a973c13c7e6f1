package timeline

import (
	"fmt"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/converter"

	"github.com/sagatrace/sagatrace/workflows"
)

// What a saga's history says, event by event: its input, its signals and,
// once closed, its final state. The saga's result is its State, and so are
// the details of its SagaCompensated failure, so a closed saga needs no
// worker to be read.

// historyReader folds history events into a Saga.
type historyReader struct {
	dc   converter.DataConverter
	saga *Saga
}

func (r historyReader) add(ev *historypb.HistoryEvent) {
	at := ev.GetEventTime().AsTime()
	switch {
	case ev.GetWorkflowExecutionStartedEventAttributes() != nil:
		if in, err := inputOf(r.dc, ev); err == nil {
			r.saga.Input = in
		} else {
			r.saga.Notes = append(r.saga.Notes, err.Error())
		}
	case ev.GetWorkflowExecutionSignaledEventAttributes() != nil:
		r.saga.Signals = append(r.saga.Signals, Signal{Name: ev.GetWorkflowExecutionSignaledEventAttributes().GetSignalName(), At: at})
	default:
		if st, ok := closedState(r.dc, ev); ok {
			r.saga.State = st
		}
	}
}

// inputOf decodes the saga input of a WorkflowExecutionStarted event.
func inputOf(dc converter.DataConverter, ev *historypb.HistoryEvent) (*workflows.Input, error) {
	var in workflows.Input
	if err := dc.FromPayloads(ev.GetWorkflowExecutionStartedEventAttributes().GetInput(), &in); err != nil {
		return nil, fmt.Errorf("the workflow input is not a saga input: %v", err)
	}
	return &in, nil
}

// closedState reads the State a closing event carries: the result of a
// completed saga, the details of a compensated or cancelled one.
func closedState(dc converter.DataConverter, ev *historypb.HistoryEvent) (*workflows.State, bool) {
	var st workflows.State
	if done := ev.GetWorkflowExecutionCompletedEventAttributes(); done != nil {
		return &st, dc.FromPayloads(done.GetResult(), &st) == nil && st.Status != ""
	}
	if failed := ev.GetWorkflowExecutionFailedEventAttributes(); failed != nil {
		app := failed.GetFailure().GetApplicationFailureInfo()
		if app.GetType() != workflows.ErrTypeCompensated || app.GetDetails() == nil {
			return nil, false
		}
		return &st, dc.FromPayloads(app.GetDetails(), &st) == nil && st.Status != ""
	}
	// A saga cancelled by its user closes as cancelled, its state as the
	// details.
	if canceled := ev.GetWorkflowExecutionCanceledEventAttributes(); canceled != nil && canceled.GetDetails() != nil {
		return &st, dc.FromPayloads(canceled.GetDetails(), &st) == nil && st.Status != ""
	}
	return nil, false
}
