// Package activities holds the saga's side effects. Each activity attempt is
// one hop: a request to one service with its own trace, whose ID is the
// hop's correlation ID, linked back to the orchestration trace.
package activities

import (
	"context"
	"log/slog"
	"sync"

	"github.com/sagatrace/sagatrace/services/scoring/scoringapi"

	"github.com/sagatrace/sagatrace/services/order/orderapi"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"

	"go.opentelemetry.io/otel/trace"
)

// Payments is what the saga needs of the payment service.
type Payments interface {
	Charge(ctx context.Context, idempotencyKey string, req paymentapi.ChargeRequest) (paymentapi.Payment, error)
	Refund(ctx context.Context, idempotencyKey, paymentID string) (paymentapi.Payment, error)
	List(ctx context.Context, f paymentapi.ListFilter) (paymentapi.Page, error)
}

// Orders is what the saga needs of the order service.
type Orders interface {
	Create(ctx context.Context, idempotencyKey string, req orderapi.CreateRequest) (orderapi.Order, error)
	Cancel(ctx context.Context, idempotencyKey, orderID string) (orderapi.Order, error)
	List(ctx context.Context, f orderapi.ListFilter) (orderapi.Page, error)
}

// ScoreEvents is what the saga needs of the scoring stream.
type ScoreEvents interface {
	Publish(ctx context.Context, ev scoringapi.Event) (sequence uint64, err error)
}

// Activities carries the dependencies of every saga activity. Register a
// pointer with the worker, and do not copy it; workflows refer to its methods through a nil
// *Activities, so the names stay checked by the compiler.
type Activities struct {
	Payments Payments
	Orders   Orders
	Scores   ScoreEvents
	// Tracer starts the hop spans; it belongs to the saga worker's provider.
	Tracer trace.Tracer
	Logger *slog.Logger
	// FaultsEnabled lets the worker honour the faults it applies itself
	// (scoring.publish); services decide on their own faults.
	FaultsEnabled bool
	// faultsIgnored warns once that a plan was ignored; do not copy.
	faultsIgnored sync.Once
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
