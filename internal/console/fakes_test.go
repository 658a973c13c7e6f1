package console

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/sagatrace/sagatrace/internal/jaegerquery"
	"github.com/sagatrace/sagatrace/services/order/orderapi"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
	"github.com/sagatrace/sagatrace/workflows"
)

// t0 is when every fake saga started.
var t0 = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

// fakeSaga is one workflow run the fake Temporal knows.
type fakeSaga struct {
	dtid   string
	status enumspb.WorkflowExecutionStatus
	state  workflows.State
}

func (s fakeSaga) workflowID() string { return workflows.WorkflowID(s.dtid) }

// fakeTemporal answers the few calls the console makes, from fakeSagas,
// and records the queries, signals and updates it gets. Any other call panics
// through the nil embedded client: the test did not expect it.
type fakeTemporal struct {
	client.Client
	sagas     []fakeSaga
	nextToken []byte

	mu      sync.Mutex
	queries []string
	signals []string
}

func (f *fakeTemporal) find(workflowID string) (fakeSaga, bool) {
	for _, s := range f.sagas {
		if s.workflowID() == workflowID {
			return s, true
		}
	}
	return fakeSaga{}, false
}

func (f *fakeTemporal) info(s fakeSaga) *workflowpb.WorkflowExecutionInfo {
	dtid, _ := converter.GetDefaultDataConverter().ToPayload(s.dtid)
	info := &workflowpb.WorkflowExecutionInfo{
		Execution: &commonpb.WorkflowExecution{WorkflowId: s.workflowID(), RunId: "run-" + s.dtid},
		Status:    s.status, StartTime: timestamppb.New(t0),
		SearchAttributes: &commonpb.SearchAttributes{IndexedFields: map[string]*commonpb.Payload{"DTID": dtid}},
	}
	if s.status != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		info.CloseTime = timestamppb.New(t0.Add(200 * time.Millisecond))
	}
	return info
}

func (f *fakeTemporal) ListWorkflow(_ context.Context, req *workflowservice.ListWorkflowExecutionsRequest) (*workflowservice.ListWorkflowExecutionsResponse, error) {
	f.mu.Lock()
	f.queries = append(f.queries, req.GetQuery())
	f.mu.Unlock()
	resp := &workflowservice.ListWorkflowExecutionsResponse{NextPageToken: f.nextToken}
	for _, s := range f.sagas {
		if strings.HasPrefix(req.GetQuery(), "DTID=") && req.GetQuery() != fmt.Sprintf("DTID=%q", s.dtid) {
			continue
		}
		resp.Executions = append(resp.Executions, f.info(s))
	}
	return resp, nil
}

func (f *fakeTemporal) DescribeWorkflowExecution(_ context.Context, workflowID, _ string) (*workflowservice.DescribeWorkflowExecutionResponse, error) {
	s, ok := f.find(workflowID)
	if !ok {
		return nil, serviceerror.NewNotFound("workflow not found: " + workflowID)
	}
	return &workflowservice.DescribeWorkflowExecutionResponse{WorkflowExecutionInfo: f.info(s)}, nil
}

// events is the history of s: its start with the input and, once closed,
// the close event carrying the state as the real saga does.
func (f *fakeTemporal) events(s fakeSaga) []*historypb.HistoryEvent {
	dc := converter.GetDefaultDataConverter()
	in, _ := dc.ToPayloads(workflows.Input{DTID: s.dtid, AmountCents: 1299, Currency: "USD"})
	evs := []*historypb.HistoryEvent{{EventTime: timestamppb.New(t0), Attributes: &historypb.HistoryEvent_WorkflowExecutionStartedEventAttributes{
		WorkflowExecutionStartedEventAttributes: &historypb.WorkflowExecutionStartedEventAttributes{Input: in}}}}
	if s.status == enumspb.WORKFLOW_EXECUTION_STATUS_FAILED {
		details, _ := dc.ToPayloads(s.state)
		evs = append(evs, &historypb.HistoryEvent{EventTime: timestamppb.New(t0.Add(200 * time.Millisecond)),
			Attributes: &historypb.HistoryEvent_WorkflowExecutionFailedEventAttributes{WorkflowExecutionFailedEventAttributes: &historypb.WorkflowExecutionFailedEventAttributes{
				Failure: &failurepb.Failure{Message: "saga compensated", FailureInfo: &failurepb.Failure_ApplicationFailureInfo{
					ApplicationFailureInfo: &failurepb.ApplicationFailureInfo{Type: workflows.ErrTypeCompensated, Details: details}}}}}})
	}
	return evs
}

func (f *fakeTemporal) GetWorkflowHistory(_ context.Context, workflowID, _ string, _ bool, _ enumspb.HistoryEventFilterType) client.HistoryEventIterator {
	s, _ := f.find(workflowID)
	return &fakeIterator{events: f.events(s)}
}

func (f *fakeTemporal) QueryWorkflow(_ context.Context, workflowID, _, queryType string, _ ...any) (converter.EncodedValue, error) {
	s, ok := f.find(workflowID)
	if !ok || queryType != workflows.QuerySagaState {
		return nil, serviceerror.NewNotFound("no such workflow or query")
	}
	return encoded{s.state}, nil
}

func (f *fakeTemporal) SignalWorkflow(_ context.Context, workflowID, _, signal string, _ any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.signals = append(f.signals, signal+" → "+workflowID)
	return nil
}

// UpdateWorkflow records an operator update, with who sent it, and
// answers with the saga's state.
func (f *fakeTemporal) UpdateWorkflow(_ context.Context, opts client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	s, ok := f.find(opts.WorkflowID)
	if !ok {
		return nil, serviceerror.NewNotFound("workflow not found: " + opts.WorkflowID)
	}
	req, _ := opts.Args[0].(workflows.OperatorRequest)
	f.mu.Lock()
	defer f.mu.Unlock()
	entry := opts.UpdateName + " by " + req.Operator + " → " + opts.WorkflowID
	if req.Reason != "" {
		entry += " (" + req.Reason + ")"
	}
	f.signals = append(f.signals, entry)
	return updateHandle{encoded{s.state}}, nil
}

type updateHandle struct{ encoded }

func (updateHandle) WorkflowID() string                     { return "" }
func (updateHandle) RunID() string                          { return "" }
func (updateHandle) UpdateID() string                       { return "" }
func (h updateHandle) Get(_ context.Context, ptr any) error { return h.encoded.Get(ptr) }

func (f *fakeTemporal) WorkflowService() workflowservice.WorkflowServiceClient {
	return fakeService{f: f}
}

// fakeService serves the one raw call of the list: a history's first or
// close event.
type fakeService struct {
	workflowservice.WorkflowServiceClient
	f *fakeTemporal
}

func (s fakeService) GetWorkflowExecutionHistory(_ context.Context, req *workflowservice.GetWorkflowExecutionHistoryRequest, _ ...grpc.CallOption) (*workflowservice.GetWorkflowExecutionHistoryResponse, error) {
	saga, ok := s.f.find(req.GetExecution().GetWorkflowId())
	if !ok {
		return nil, serviceerror.NewNotFound("no such workflow")
	}
	evs := s.f.events(saga)
	ev := evs[0]
	if req.GetHistoryEventFilterType() == enumspb.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT {
		ev = evs[len(evs)-1]
	}
	return &workflowservice.GetWorkflowExecutionHistoryResponse{History: &historypb.History{Events: []*historypb.HistoryEvent{ev}}}, nil
}

type fakeIterator struct{ events []*historypb.HistoryEvent }

func (it *fakeIterator) HasNext() bool { return len(it.events) > 0 }
func (it *fakeIterator) Next() (*historypb.HistoryEvent, error) {
	ev := it.events[0]
	it.events = it.events[1:]
	return ev, nil
}

type encoded struct{ state workflows.State }

func (e encoded) HasValue() bool { return true }
func (e encoded) Get(ptr any) error {
	b, err := json.Marshal(e.state)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, ptr)
}

// hopTrace is what Jaeger returns for one hop attempt of saga dtid.
func hopTrace(traceID, op string, compensation bool, at time.Duration, failure string) jaegerquery.Trace {
	tags := []jaegerquery.KeyValue{{Key: "dtid", Value: "x"}, {Key: "saga.step", Value: strings.Split(op, ".")[0]},
		{Key: "saga.compensation", Value: compensation}, {Key: "temporal.attempt", Value: 1}}
	if failure != "" {
		tags = append(tags, jaegerquery.KeyValue{Key: "otel.status_code", Value: "ERROR"},
			jaegerquery.KeyValue{Key: "otel.status_description", Value: failure})
	}
	return jaegerquery.Trace{TraceID: traceID, Processes: map[string]jaegerquery.Process{"p1": {ServiceName: "saga-worker"}},
		Spans: []jaegerquery.Span{{TraceID: traceID, SpanID: "s1", OperationName: op, StartTime: t0.Add(at).UnixMicro(),
			Duration: 5000, Tags: tags, ProcessID: "p1"}}}
}

// fakeJaeger serves traces by DTID over Jaeger's v1 API.
func fakeJaeger(t *testing.T, traces map[string][]jaegerquery.Trace) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var data any = []string{"saga-worker"}
		if id, ok := strings.CutPrefix(r.URL.Path, "/api/traces/"); ok {
			for _, trs := range traces {
				for _, tr := range trs {
					if tr.TraceID == id {
						_ = json.NewEncoder(w).Encode(map[string]any{"data": []jaegerquery.Trace{tr}})
						return
					}
				}
			}
			http.NotFound(w, r)
			return
		}
		if r.URL.Path == "/api/traces" {
			var tags map[string]string
			_ = json.Unmarshal([]byte(r.URL.Query().Get("tags")), &tags)
			data = append([]jaegerquery.Trace{}, traces[tags["dtid"]]...)
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"data": data})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// fakeRows are the services' rows of every DTID.
type fakeRows struct {
	payments map[string][]paymentapi.Payment
	orders   map[string][]orderapi.Order
}

type fakePayments fakeRows
type fakeOrders fakeRows

func (f fakePayments) List(_ context.Context, q paymentapi.ListFilter) (paymentapi.Page, error) {
	return paymentapi.Page{Items: f.payments[q.DTID]}, nil
}

func (f fakeOrders) List(_ context.Context, q orderapi.ListFilter) (orderapi.Page, error) {
	return orderapi.Page{Items: f.orders[q.DTID]}, nil
}
