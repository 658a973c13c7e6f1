package timeline

import (
	"time"

	"github.com/sagatrace/sagatrace/workflows"
)

// Saga is what Temporal knows of a DTID's workflow run.
type Saga struct {
	WorkflowID string
	RunID      string
	// TemporalStatus is the execution status as Temporal names it:
	// Running, Completed, Failed, Terminated, Canceled, TimedOut.
	TemporalStatus string
	Start          time.Time
	Close          time.Time // zero while the run is open
	// Input is the saga's input from its first history event (nil if it
	// could not be read).
	Input *workflows.Input
	// State is the saga_state query's answer, or the same state from the
	// run's result or failure details once it closed (nil if neither).
	State   *workflows.State
	Signals []Signal
	// Notes explain what could not be read, and why.
	Notes []string
}

// Open reports whether the run has not closed yet.
func (s *Saga) Open() bool { return s.Close.IsZero() }
