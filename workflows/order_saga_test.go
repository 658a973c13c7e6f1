package workflows

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.temporal.io/sdk/client"
	tracing "go.temporal.io/sdk/contrib/opentelemetry"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/sagatrace/sagatrace/internal/carddata"
	"github.com/sagatrace/sagatrace/services/order/orderapi"
)

func validInput() Input {
	return Input{
		DTID: "dtid-test-1", CustomerID: "c-1", ProfileID: "p-1", AmountCents: 1299, Currency: "USD",
		Items: []Item{{SKU: "sku-1", Qty: 1, PriceCents: 1299}},
	}
}

func newEnv(t *testing.T, f *fakeActivities) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	// The workflow ID sagatrace start gives validInput's DTID.
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: WorkflowID(validInput().DTID)})
	env.RegisterWorkflowWithOptions(OrderSaga, workflowOptions())
	env.RegisterActivity(f)
	return env
}

// runSaga runs OrderSaga on validInput against f, to its end.
func runSaga(t *testing.T, f *fakeActivities) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	env := newEnv(t, f)
	env.ExecuteWorkflow(OrderSaga, validInput())
	return env
}

func TestOrderSagaCompletes(t *testing.T) {
	f := newFake()
	res := requireCompleted(t, runSaga(t, f))
	if want := []string{"payment.charge", "order.create", "scoring.publish"}; !slices.Equal(f.calledOps(), want) {
		t.Errorf("calls = %v, want %v", f.calledOps(), want)
	}
	if res.Status != StatusCompleted || res.PaymentID == "" || res.OrderID == "" || res.EventID == "" {
		t.Errorf("result = %+v", res)
	}
	if len(res.Hops) != 3 || res.Hops[0].CorrelationID == "" {
		t.Errorf("hops = %+v, want 3 with correlation IDs", res.Hops)
	}
}

func TestOrderSagaCompensatesEarlierStepsInReverse(t *testing.T) {
	tests := []struct {
		name      string
		refuse    string
		wantCalls []string
	}{
		{
			name:      "payment_declined_nothing_to_undo",
			refuse:    "payment.charge",
			wantCalls: []string{"payment.charge"},
		},
		{
			name:      "order_rejected_refunds_payment",
			refuse:    "order.create",
			wantCalls: []string{"payment.charge", "order.create", "payment.refund"},
		},
		{
			name:      "scoring_refused_cancels_then_refunds",
			refuse:    "scoring.publish",
			wantCalls: []string{"payment.charge", "order.create", "scoring.publish", "order.cancel", "payment.refund"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			f.refuse[tt.refuse] = true
			res := requireCompensated(t, runSaga(t, f))
			if !slices.Equal(f.calledOps(), tt.wantCalls) {
				t.Errorf("calls = %v, want %v", f.calledOps(), tt.wantCalls)
			}
			if res.Status != StatusCompensated {
				t.Errorf("status = %s, want compensated", res.Status)
			}
			// Each compensation names the forward hop it undoes, for its
			// span's "compensates" link.
			for _, undo := range res.Hops {
				if !undo.Compensation {
					continue
				}
				var fwd Hop
				for _, h := range res.Hops {
					if h.Step == undo.Step && !h.Compensation {
						fwd = h
					}
				}
				got := f.undoes[undo.Operation]
				if got == nil || got.CorrelationID != fwd.CorrelationID || got.SpanID != fwd.SpanID || fwd.SpanID == "" {
					t.Errorf("%s compensates %+v, want the forward hop %s/%s", undo.Operation, got, fwd.CorrelationID, fwd.SpanID)
				}
			}
		})
	}
}

// A step that may have applied (it kept timing out) is compensated too: its
// compensation was registered before it ran.
func TestOrderSagaUndoesAStepThatMayHaveApplied(t *testing.T) {
	f := newFake()
	f.flaky["order.create"] = 100
	requireCompensated(t, runSaga(t, f))
	calls := f.calledOps()
	if got := calls[len(calls)-2:]; !slices.Equal(got, []string{"order.cancel", "payment.refund"}) {
		t.Errorf("last calls = %v, want order.cancel then payment.refund", got)
	}
	if n := countOf(calls, "order.create"); n != StepAttempts {
		t.Errorf("order.create attempted %d times, want the retry budget %d", n, StepAttempts)
	}
}

// A scoring outage longer than a step's budget does not undo the paid,
// confirmed order: the publish is retried until the stream takes it. (The
// SDK's test environment caps an unbounded budget at 10 attempts, so the
// outage here is 9: nearly twice StepAttempts.)
func TestOrderSagaOutlastsAScoringOutage(t *testing.T) {
	const outage = 9
	f := newFake()
	f.flaky["scoring.publish"] = outage
	res := requireCompleted(t, runSaga(t, f))
	calls := f.calledOps()
	if n := countOf(calls, "scoring.publish"); n != outage+1 {
		t.Errorf("scoring.publish attempted %d times, want %d", n, outage+1)
	}
	if slices.Contains(calls, "payment.refund") || slices.Contains(calls, "order.cancel") {
		t.Errorf("calls = %v: a scoring outage compensated a paid order", calls)
	}
	if res.Status != StatusCompleted || res.EventID == "" {
		t.Errorf("result = %+v, want completed with the event", res)
	}
}

func TestOrderSagaRetriesTransientFailures(t *testing.T) {
	f := newFake()
	f.flaky["payment.charge"] = 2
	f.flaky["scoring.publish"] = 1
	requireCompleted(t, runSaga(t, f))
	if len(f.charges) != 1 {
		t.Errorf("charged %d times, want once", len(f.charges))
	}
}

func TestOrderSagaRejectsInvalidInputBeforeAnyActivity(t *testing.T) {
	tests := []struct {
		name      string
		mutate    func(*Input)
		wantField string
	}{
		{"missing_customer", func(in *Input) { in.CustomerID = "" }, "customer_id"},
		{"negative_amount", func(in *Input) { in.AmountCents = -5 }, "amount_cents"},
		{"unknown_currency", func(in *Input) { in.Currency = "XYZ" }, "currency"},
		{"no_items", func(in *Input) { in.Items = nil }, "items"},
		{"total_mismatch", func(in *Input) { in.Items[0].PriceCents = 1 }, "amount_cents"},
		{"bad_dtid", func(in *Input) { in.DTID = "has space" }, "dtid"},
		{"unknown_fault_operation", func(in *Input) { in.Faults = map[string]string{"bank.rob": "error"} }, "faults"},
		{"unknown_fault_kind", func(in *Input) { in.Faults = map[string]string{"order.create": "sometimes"} }, "faults"},
		{"card_number_as_customer", func(in *Input) { in.CustomerID = "4111111111111111" }, "customer_id: holds a card number"},
		{"card_number_as_sku", func(in *Input) { in.Items[0].SKU = "4111-1111-1111-1111" }, "items[0].sku: holds a card number"},
		{"sku_longer_than_the_order_service_takes", func(in *Input) {
			in.Items[0].SKU = strings.Repeat("s", orderapi.MaxSKULen+1)
		}, "items[0].sku: is 65 characters long, at most 64"},
		{"card_number_as_token", func(in *Input) { in.CardToken, in.CardLast4 = "4111111111111111", "1111" }, "card_token holds a card number"},
		{"last4_without_token", func(in *Input) { in.CardLast4 = "1111" }, "send both or neither"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			env := newEnv(t, f)
			in := validInput()
			tt.mutate(&in)
			env.ExecuteWorkflow(OrderSaga, in)

			err := env.GetWorkflowError()
			var app *temporal.ApplicationError
			if !errors.As(err, &app) || app.Type() != ErrTypeInvalidInput || !app.NonRetryable() {
				t.Fatalf("error = %v, want non-retryable %s", err, ErrTypeInvalidInput)
			}
			if !strings.Contains(app.Error(), tt.wantField) {
				t.Errorf("error %q does not name the field %q", app.Error(), tt.wantField)
			}
			if carddata.Contains(app.Error()) {
				t.Errorf("error %q repeats a card number", app.Error())
			}
			if calls := f.calledOps(); len(calls) != 0 {
				t.Errorf("activities called on invalid input: %v", calls)
			}
		})
	}
}

// Temporal's workflow ID makes a second start of the same DTID the same
// workflow; this proves the layer below: even two runs charge once, because
// both derive the same idempotency key from the DTID.
func TestOrderSagaSameDTIDTwiceChargesOnce(t *testing.T) {
	f := newFake()
	for range 2 {
		requireCompleted(t, runSaga(t, f))
	}
	if len(f.charges) != 1 {
		t.Errorf("two runs of one DTID made %d charges, want 1", len(f.charges))
	}
}

func TestOrderSagaWaitsForOperatorWhenCompensationFails(t *testing.T) {
	f := newFake()
	f.refuse["order.create"] = true
	f.flaky["payment.refund"] = CompensationAttempts // exhausts the budget once
	env := newEnv(t, f)

	var stuck State
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(QuerySagaState)
		if err != nil {
			t.Errorf("query: %v", err)
			return
		}
		if err := v.Get(&stuck); err != nil {
			t.Errorf("decode state: %v", err)
		}
		env.SignalWorkflow(SignalRetryCompensation, nil)
	}, time.Hour)
	env.ExecuteWorkflow(OrderSaga, validInput())

	if stuck.Status != StatusCompensationFailed {
		t.Errorf("status while waiting = %q, want %q", stuck.Status, StatusCompensationFailed)
	}
	res := requireCompensated(t, env)
	if res.Status != StatusCompensated {
		t.Errorf("final status = %s, want compensated", res.Status)
	}
	if n := countOf(f.calledOps(), "payment.refund"); n != CompensationAttempts+1 {
		t.Errorf("refund attempted %d times, want budget+1", n)
	}
	// The refund after the signal is told how many attempts came before, so
	// that a transient:N outage longer than one budget ends in the next.
	f.mu.Lock()
	defer f.mu.Unlock()
	if last := f.refundPrior[len(f.refundPrior)-1]; last != CompensationAttempts {
		t.Errorf("prior attempts after the signal = %d, want %d", last, CompensationAttempts)
	}
	if first := f.refundPrior[0]; first != 0 {
		t.Errorf("prior attempts before the signal = %d, want 0", first)
	}
}

func TestOrderSagaDTIDDefaultsToWorkflowID(t *testing.T) {
	f := newFake()
	env := newEnv(t, f)
	in := validInput()
	in.DTID = ""
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: "started-by-the-cli"})
	env.ExecuteWorkflow(OrderSaga, in)
	res := requireCompleted(t, env)
	if res.DTID != "started-by-the-cli" {
		t.Errorf("dtid = %q, want the workflow ID", res.DTID)
	}
}

// requireCompleted fails the test unless the saga ended without an error,
// and returns its result.
func requireCompleted(t *testing.T, env *testsuite.TestWorkflowEnvironment) Result {
	t.Helper()
	var res Result
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatalf("saga failed: %v", err)
	}
	return res
}

func requireCompensated(t *testing.T, env *testsuite.TestWorkflowEnvironment) Result {
	t.Helper()
	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	err := env.GetWorkflowError()
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || app.Type() != ErrTypeCompensated || !app.NonRetryable() {
		t.Fatalf("error = %v, want non-retryable %s", err, ErrTypeCompensated)
	}
	var res Result
	if err := app.Details(&res); err != nil {
		t.Fatalf("compensated error carries no result: %v", err)
	}
	return res
}

func countOf(xs []string, x string) int {
	n := 0
	for _, v := range xs {
		if v == x {
			n++
		}
	}
	return n
}

// The input decodes leniently (a field a later build removes must not
// break the replay of sagas that have it) and keeps its first unknown
// field, which validation refuses as the typo it most often is; a
// malformed value is still a decoding error.
func TestInputDecodingIsLenientButUnknownFieldsAreInvalid(t *testing.T) {
	tests := []struct {
		name       string
		json       string
		wantDecode string // "" decodes
		wantField  string // "" valid fields
	}{
		{name: "valid", json: `{"customer_id":"c-1","amount_cents":5}`},
		{name: "unknown_field", json: `{"customer_id":"c-1","amount_cents":5,"ammount_cents":5}`, wantField: `unknown field "ammount_cents"`},
		{name: "string_amount", json: `{"amount_cents":"12.99"}`, wantDecode: "amount_cents"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var in Input
			err := json.Unmarshal([]byte(tt.json), &in)
			if tt.wantDecode != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantDecode) {
					t.Fatalf("decode error = %v, want one naming %s", err, tt.wantDecode)
				}
				return
			}
			if err != nil || in.CustomerID != "c-1" || in.AmountCents != 5 {
				t.Fatalf("decoded %+v, %v", in, err)
			}
			err = in.validateFields()
			if (err == nil) != (tt.wantField == "") || (err != nil && !strings.Contains(err.Error(), tt.wantField)) {
				t.Errorf("validateFields = %v, want %q", err, tt.wantField)
			}
		})
	}
}

// A saga started through the Temporal CLI with a typo in its input is
// invalid input, naming the field, and calls nothing.
func TestOrderSagaRefusesAnUnknownInputField(t *testing.T) {
	f := newFake()
	env := newEnv(t, f)
	raw, err := json.Marshal(validInput())
	if err != nil {
		t.Fatal(err)
	}
	// As the CLI sends it: JSON, decoded by the workflow.
	env.ExecuteWorkflow(WorkflowType, json.RawMessage(append(raw[:len(raw)-1], []byte(`,"ammount_cents":1}`)...)))
	werr := env.GetWorkflowError()
	var app *temporal.ApplicationError
	if !errors.As(werr, &app) || app.Type() != ErrTypeInvalidInput || !strings.Contains(app.Error(), `unknown field "ammount_cents"`) {
		t.Fatalf("error = %v, want %s naming the field", werr, ErrTypeInvalidInput)
	}
	if calls := f.calledOps(); len(calls) != 0 {
		t.Errorf("activities called: %v", calls)
	}
}

// A parked saga says so on its RunWorkflow span too (the hop trace of the
// failing compensation has its own event, see activities).
func TestOrderSagaParkedIsASpanEvent(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	ti, err := tracing.NewTracingInterceptor(tracing.TracerOptions{Tracer: tp.Tracer("test")})
	if err != nil {
		t.Fatal(err)
	}
	f := newFake()
	f.refuse["order.create"] = true
	f.flaky["payment.refund"] = CompensationAttempts
	env := newEnv(t, f)
	env.SetWorkerOptions(worker.Options{Interceptors: []interceptor.WorkerInterceptor{ti}})
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalRetryCompensation, nil) }, time.Hour)
	env.ExecuteWorkflow(OrderSaga, validInput())
	requireCompensated(t, env)

	var events []string
	for _, s := range rec.Ended() {
		for _, ev := range s.Events() {
			events = append(events, s.Name()+"/"+ev.Name)
		}
	}
	if !slices.ContainsFunc(events, func(e string) bool {
		return strings.HasPrefix(e, "RunWorkflow") && strings.HasSuffix(e, "/"+string(StatusCompensationFailed))
	}) {
		t.Errorf("span events = %v, want %s on RunWorkflow", events, StatusCompensationFailed)
	}
}
