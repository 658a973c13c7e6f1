package activities

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/sagatrace/sagatrace/internal/faults"
	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
	"github.com/sagatrace/sagatrace/services/scoring/scoringapi"
)

// recorder fakes the payment service and the stream, remembering what each
// call's context would have sent and what was published.
type recorder struct {
	Payments
	mu        sync.Mutex
	plans     []string
	attempts  []int
	published []scoringapi.Event
}

func (r *recorder) note(ctx context.Context) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.plans = append(r.plans, faults.PlanFrom(ctx))
	r.attempts = append(r.attempts, faults.AttemptFrom(ctx))
}

func (r *recorder) Charge(ctx context.Context, _ string, _ paymentapi.ChargeRequest) (paymentapi.Payment, error) {
	r.note(ctx)
	return paymentapi.Payment{PaymentID: "p-1", State: paymentapi.StateCompleted}, nil
}

func (r *recorder) RefundDTID(ctx context.Context, _, dtid string) (httpapi.Voided[paymentapi.Payment], error) {
	r.note(ctx)
	return httpapi.Voided[paymentapi.Payment]{DTID: dtid, Items: []paymentapi.Payment{{PaymentID: "p-1", State: paymentapi.StateRefunded}}}, nil
}

// Publish stores ev once per event ID, as the stream's duplicate window
// does, and says when it was a duplicate.
func (r *recorder) Publish(_ context.Context, ev scoringapi.Event) (scoringapi.Ack, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, p := range r.published {
		if p.EventID == ev.EventID {
			return scoringapi.Ack{Sequence: uint64(i + 1), Duplicate: true}, nil
		}
	}
	r.published = append(r.published, ev)
	return scoringapi.Ack{Sequence: uint64(len(r.published))}, nil
}

func testHops() Hops {
	return Hops{Tracer: sdktrace.NewTracerProvider().Tracer("test"), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

// The service sees the saga's plan and which attempt the hop is; a compensation
// retried on the operator's signal counts on from its earlier attempts.
func TestHopSendsPlanAndAttempt(t *testing.T) {
	plan := map[string]string{"payment.refund": "transient:9", "order.create": "error"}
	rec := &recorder{}
	a := &PaymentActivities{Hops: testHops(), Payments: rec}
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(a)
	if _, err := env.ExecuteActivity(a.ChargePayment, ChargeInput{DTID: "d-1", IdempotencyKey: "k", Faults: plan}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.ExecuteActivity(a.RefundPayment, CompensationInput{DTID: "d-1", IdempotencyKey: "k2", Faults: plan, PriorAttempts: 8}); err != nil {
		t.Fatal(err)
	}
	wantPlan := "order.create=error,payment.refund=transient:9"
	if len(rec.plans) != 2 || rec.plans[0] != wantPlan || rec.plans[1] != wantPlan {
		t.Errorf("plans sent = %q, want %q twice", rec.plans, wantPlan)
	}
	if len(rec.attempts) != 2 || rec.attempts[0] != 1 || rec.attempts[1] != 9 {
		t.Errorf("attempts sent = %v, want [1 9]", rec.attempts)
	}
}

func TestPublishScoreFaults(t *testing.T) {
	tests := []struct {
		name          string
		fault         string
		disabled      bool
		wantErr       bool
		wantRetryable bool
		wantPublished int
		minTime       time.Duration
	}{
		{name: "none", wantPublished: 1},
		{name: "error_refuses_for_good", fault: "error", wantErr: true},
		{name: "transient_fails_the_first_attempt", fault: "transient:1", wantErr: true, wantRetryable: true},
		{name: "invalid_fault_fails_for_good", fault: "transient:0", wantErr: true},
		{name: "latency_then_publishes", fault: "latency:30ms", wantPublished: 1, minTime: 30 * time.Millisecond},
		{name: "crash_after_commit_publishes_then_fails", fault: "crash-after-commit", wantErr: true, wantRetryable: true, wantPublished: 1},
		{name: "disabled_worker_ignores_the_plan", fault: "error", disabled: true, wantPublished: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			a := &ScoringActivities{Hops: testHops(), Scores: rec, FaultsEnabled: !tt.disabled}
			var suite testsuite.WorkflowTestSuite
			env := suite.NewTestActivityEnvironment()
			env.RegisterActivity(a)
			in := PublishScoreInput{DTID: "d-1", EventID: "e-1", ProfileID: "p-1", Kind: "order_completed", Delta: 12}
			if tt.fault != "" {
				in.Faults = map[string]string{"scoring.publish": tt.fault}
			}
			start := time.Now()
			_, err := env.ExecuteActivity(a.PublishScore, in)
			if took := time.Since(start); took < tt.minTime {
				t.Errorf("took %s, want at least %s", took, tt.minTime)
			}
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			var app *temporal.ApplicationError
			if err != nil && (!errors.As(err, &app) || app.NonRetryable() == tt.wantRetryable) {
				t.Errorf("err = %v, want retryable=%v", err, tt.wantRetryable)
			}
			if len(rec.published) != tt.wantPublished {
				t.Errorf("published %d events, want %d", len(rec.published), tt.wantPublished)
			}
		})
	}
}
