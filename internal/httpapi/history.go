package httpapi

import "time"

// StateChange is one audit row of a ledger entity (a payment, an order) as
// the API shows it: the state entered, the correlation ID of the request
// (hop) that wrote it, and when. S is the service's own state type, so a
// payment's history cannot hold an order's states.
type StateChange[S ~string] struct {
	State         S         `json:"state"`
	CorrelationID string    `json:"correlation_id"`
	At            time.Time `json:"at"`
}
