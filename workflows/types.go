// Package workflows holds the OrderSaga: payment → order → scoring, with a
// compensation registered before each step and run in reverse order when a
// later step fails for good. The code here must stay deterministic: no
// time.Now, no randomness, no map iteration, no goroutines, no I/O.
package workflows

import (
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/sagatrace/sagatrace/internal/ids"
)

// Names that operators and other programs use to reach the saga.
const (
	// TaskQueue is where the saga worker polls.
	TaskQueue = "sagas"
	// WorkflowType is the registered name, as typed into the Temporal CLI.
	WorkflowType = "OrderSaga"
	// QuerySagaState answers with a State, on open and closed runs.
	QuerySagaState = "saga_state"
	// SignalRetryCompensation resumes a saga stuck in compensation_failed
	// after the operator fixed the cause; sagas parked by a build from
	// before the operator updates (operator.go) wait for it, and the others
	// take it while parked.
	SignalRetryCompensation = "retry-compensation"
	// WorkflowIDPrefix + DTID is the workflow ID used by `sagatrace start`.
	WorkflowIDPrefix = "order-saga-"
)

// Error types of the saga's own failures, for errors.As on ApplicationError.
const (
	ErrTypeInvalidInput = "InvalidInput"
	ErrTypeCompensated  = "SagaCompensated"
)

// DTIDSearchAttribute is the keyword search attribute that makes every
// saga findable by DTID (`temporal workflow list --query 'DTID="…"'`).
var DTIDSearchAttribute = temporal.NewSearchAttributeKeyKeyword(ids.SearchAttributeDTID)

// SagaStatusSearchAttribute is the keyword search attribute holding the
// saga's Status, kept current (`temporal workflow list --query
// 'SagaStatus="compensation_failed"'`, `sagatrace sagas`).
var SagaStatusSearchAttribute = temporal.NewSearchAttributeKeyKeyword(ids.SearchAttributeSagaStatus)

// WorkflowID returns the workflow ID `sagatrace start` uses for dtid; the
// same DTID always maps to the same workflow, so starting it twice cannot
// charge twice.
func WorkflowID(dtid string) string { return WorkflowIDPrefix + dtid }

// DTIDOfWorkflowID is the DTID a saga's workflow ID owns, for telemetry of
// a saga whose start carried no DTID: the ID less WorkflowIDPrefix, or the
// ID itself (a saga the Temporal CLI started without a dtid). A saga
// refuses any other DTID; the one case it names wrongly is a CLI start
// under an ID that begins with WorkflowIDPrefix and no dtid (that saga's
// DTID is the whole ID).
func DTIDOfWorkflowID(workflowID string) string {
	return strings.TrimPrefix(workflowID, WorkflowIDPrefix)
}

// Status of a saga, as returned by the saga_state query and in Result.
type Status string

// The statuses a saga goes through.
const (
	StatusRunning            Status = "running"
	StatusCompleted          Status = "completed"
	StatusCompensating       Status = "compensating"
	StatusCompensated        Status = "compensated"
	StatusCompensationFailed Status = "compensation_failed"
	StatusInvalid            Status = "invalid"
)

// Statuses lists every Status, in the order a saga can go through them.
func Statuses() []Status {
	return []Status{StatusRunning, StatusCompensating, StatusCompensationFailed, StatusCompleted, StatusCompensated, StatusInvalid}
}

// Input starts a saga. It is also what `temporal workflow start --input`
// takes, so its JSON names are part of the contract (docs/ARCHITECTURE.md, "The saga").
type Input struct {
	// DTID is optional: when empty the workflow ID is the DTID.
	DTID        string `json:"dtid,omitempty"`
	CustomerID  string `json:"customer_id"`
	ProfileID   string `json:"profile_id"`
	AmountCents int64  `json:"amount_cents"`
	Currency    string `json:"currency"`
	Items       []Item `json:"items"`
	// CardToken and CardLast4 name the card: the processor's token and its
	// last four digits, both or neither. A card number is refused.
	CardToken string `json:"card_token,omitempty"`
	CardLast4 string `json:"card_last4,omitempty"`
	// Faults maps an operation (payment.charge, order.create, …) to a fault
	// kind; services honour it only when started with faults enabled.
	Faults map[string]string `json:"faults,omitempty"`

	// unknownField is the first field of the JSON input that Input does not
	// have (UnmarshalJSON), refused by validateFields.
	unknownField string
}

// Item is one order line; prices are integer minor units, never floats.
type Item struct {
	SKU        string `json:"sku"`
	Qty        int    `json:"qty"`
	PriceCents int64  `json:"price_cents"`
}

// Hop records one call of the saga into a service: its own trace, whose ID
// is the correlation ID the service stored with the change it made.
type Hop struct {
	Step          string `json:"step"`
	Operation     string `json:"operation"`
	Compensation  bool   `json:"compensation"`
	CorrelationID string `json:"correlation_id,omitempty"`
	// SpanID is the hop's root span in its trace (empty in sagas of older builds).
	SpanID  string `json:"span_id,omitempty"`
	Attempt int32  `json:"attempt,omitempty"`
	Outcome string `json:"outcome"`
	Error   string `json:"error,omitempty"`
}

// State is what the saga_state query returns.
type State struct {
	DTID      string `json:"dtid"`
	Step      string `json:"step"`
	Status    Status `json:"status"`
	PaymentID string `json:"payment_id,omitempty"`
	OrderID   string `json:"order_id,omitempty"`
	EventID   string `json:"event_id,omitempty"`
	Hops      []Hop  `json:"hops"`
	Error     string `json:"error,omitempty"`
	// OperatorActions lists what operators did to the parked saga, and who.
	OperatorActions []OperatorAction `json:"operator_actions,omitempty"`
	// AutoRetries counts the automatic retries of a parked saga's
	// compensation (AutoRetry); NextAutoRetry is when the next one starts,
	// while the saga is parked and one is due.
	AutoRetries   int32      `json:"auto_retries,omitempty"`
	NextAutoRetry *time.Time `json:"next_auto_retry,omitempty"`
}

// Result is the saga's outcome: the workflow result when completed, the
// details of the SagaCompensated error when compensated.
type Result = State
