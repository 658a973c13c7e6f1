// Package activities holds the saga's side effects, one struct of
// activities per service (register a pointer to each with the worker; the
// workflows refer to their methods through nil pointers, so the names stay
// checked by the compiler). Each activity attempt is one hop: a request to
// one service with its own trace, whose ID is the hop's correlation ID,
// linked back to the orchestration trace.
package activities

import (
	"log/slog"

	"go.opentelemetry.io/otel/trace"
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
}

// HopFailure is the detail of a failed hop's ApplicationError.
type HopFailure struct {
	CorrelationID string `json:"correlation_id"`
	Attempt       int32  `json:"attempt"`
	Status        int    `json:"status,omitempty"`
	ProblemType   string `json:"problem_type,omitempty"`
}
