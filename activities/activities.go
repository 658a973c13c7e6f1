// Package activities holds the saga's side effects, one struct of
// activities per service (register a pointer to each with the worker; the
// workflows refer to their methods through nil pointers, so the names stay
// checked by the compiler). Each activity attempt is one hop: a request to
// one service with its own trace, whose ID is the hop's correlation ID,
// linked back to the orchestration trace.
package activities

import (
	"context"
	"log/slog"

	"go.opentelemetry.io/otel/trace"

	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/ids"
)

// Hops is what every activity needs to make its hop: the saga worker's
// tracer, which starts each hop's own trace, and its logger. Each service's
// activities (PaymentActivities, OrderActivities, ScoringActivities) embed
// it, so adding a service adds a file here and changes none.
type Hops struct {
	Tracer trace.Tracer
	Logger *slog.Logger
}

// HopResult is what every activity reports back to the saga: the hop's
// correlation ID, so saga_state can list every hop.
type HopResult struct {
	CorrelationID string `json:"correlation_id"`
	Attempt       int32  `json:"attempt"`
	// SpanID is the hop's root span, for a compensation to link to.
	SpanID string `json:"span_id,omitempty"`
}

// HopRef names one hop's root span: its trace (the correlation ID) and its
// span ID.
type HopRef struct {
	CorrelationID string `json:"correlation_id"`
	SpanID        string `json:"span_id"`
}

// HopFailure is the detail of a failed hop's ApplicationError.
type HopFailure struct {
	CorrelationID string `json:"correlation_id"`
	Attempt       int32  `json:"attempt"`
	SpanID        string `json:"span_id,omitempty"`
	Status        int    `json:"status,omitempty"`
	ProblemType   string `json:"problem_type,omitempty"`
}

// CompensationInput asks a service to compensate the saga's step there:
// everything of the DTID is compensated and the DTID voided at the
// service, so a request still in flight or arriving late is refused. By
// DTID, never by the ID the step answered: the step may have committed
// and lost its answer (a timeout, a cancel mid-step).
type CompensationInput struct {
	DTID           string            `json:"dtid"`
	IdempotencyKey string            `json:"idempotency_key"`
	Faults         map[string]string `json:"faults,omitempty"`
	// PriorAttempts counts the compensation's attempts before the
	// operator's retry-compensation signal, so attempt numbers go on where
	// they stopped.
	PriorAttempts int32 `json:"prior_attempts,omitempty"`
	// Compensates is the forward hop this compensation undoes; its hop span
	// links to it ("compensates"). Nil in sagas started by older builds.
	Compensates *HopRef `json:"compensates,omitempty"`
}

// compensate runs one compensation hop of step: call compensates the DTID
// at the service (a ledger service's compensation by DTID, such as
// RefundDTID). What it compensated is not the saga's business: the hop's
// result is.
func compensate[T any](ctx context.Context, h Hops, in CompensationInput, step string, op ids.Operation,
	call func(ctx context.Context, key, dtid string) (httpapi.Voided[T], error)) (HopResult, error) {
	ctx, hop := h.startHop(ctx, hopSpec{dtid: in.DTID, step: step, operation: op, compensation: true,
		faults: in.Faults, priorAttempts: in.PriorAttempts, compensates: in.Compensates})
	_, err := call(ctx, in.IdempotencyKey, in.DTID)
	return hop.result(), hop.end(ctx, err)
}
