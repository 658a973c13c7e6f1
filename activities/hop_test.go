package activities

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.temporal.io/sdk/temporal"

	"github.com/sagatrace/sagatrace/internal/httpapi"
)

func TestHopEnd(t *testing.T) {
	unavailable := &httpapi.ProblemError{Status: 503, Type: "refund-unavailable"}
	declined := &httpapi.ProblemError{Status: 422, Type: "payment-declined"}
	tests := []struct {
		name          string
		compensation  bool
		attempt, max  int32
		err           error
		wantRetryable bool
		wantType      string
		wantParked    bool // the span has the compensation_failed event
	}{
		{name: "refusal_fails_for_good", err: declined, wantType: "PaymentDeclined"},
		{name: "unavailable_is_retried", attempt: 1, max: 5, err: unavailable, wantRetryable: true, wantType: "HopFailed"},
		{name: "permanent_fails_for_good", err: permanent("InvalidFault", errors.New("bad")), wantType: "InvalidFault"},
		{name: "undo_within_budget_is_retried_quietly", compensation: true, attempt: 3, max: 8, err: unavailable, wantRetryable: true, wantType: "HopFailed"},
		{name: "undo_last_attempt_parks_the_saga", compensation: true, attempt: 8, max: 8, err: unavailable, wantRetryable: true, wantType: "HopFailed", wantParked: true},
		{name: "undo_refused_parks_the_saga", compensation: true, attempt: 1, max: 8, err: declined, wantType: "PaymentDeclined", wantParked: true},
		{name: "step_last_attempt_does_not_park", attempt: 5, max: 5, err: unavailable, wantRetryable: true, wantType: "HopFailed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := tracetest.NewSpanRecorder()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
			_, span := tp.Tracer("test").Start(context.Background(), "payment.refund")
			h := &hop{span: span, correlationID: "c1", attempt: tt.attempt, maxAttempts: tt.max, operation: "payment.refund",
				compensation: tt.compensation, logger: slog.New(slog.NewTextHandler(io.Discard, nil)), cancel: func() {}}

			err := h.end(context.Background(), tt.err)
			var app *temporal.ApplicationError
			if !errors.As(err, &app) || app.NonRetryable() == tt.wantRetryable || app.Type() != tt.wantType {
				t.Fatalf("end = %v, want type %s retryable=%v", err, tt.wantType, tt.wantRetryable)
			}
			var failure HopFailure
			if err := app.Details(&failure); err != nil || failure.CorrelationID != "c1" || failure.Attempt != tt.attempt {
				t.Errorf("details = %+v, %v; want the hop's correlation ID and attempt", failure, err)
			}
			ended := rec.Ended()
			if len(ended) != 1 {
				t.Fatalf("ended spans = %d, want 1", len(ended))
			}
			parked := false
			for _, ev := range ended[0].Events() {
				parked = parked || ev.Name == EventCompensationParked
			}
			if parked != tt.wantParked {
				t.Errorf("compensation_failed event = %v, want %v", parked, tt.wantParked)
			}
		})
	}
}
