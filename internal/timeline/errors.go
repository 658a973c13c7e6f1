package timeline

import (
	"errors"
	"strings"
)

// ErrUnknownDTID means neither Temporal nor Jaeger knows the DTID.
var ErrUnknownDTID = errors.New("unknown DTID")

// ErrNoWorkflow means Temporal has no workflow of the DTID.
var ErrNoWorkflow = errors.New("no workflow of this DTID in Temporal")

// SourceError says which source of the timeline failed — "Jaeger" or
// "Temporal" — so that the operator knows which part to look at.
type SourceError struct {
	Source string
	Err    error
}

func (e *SourceError) Error() string {
	msg := e.Err.Error()
	if strings.HasPrefix(strings.ToLower(msg), strings.ToLower(e.Source)) {
		return msg // it already names its source
	}
	return e.Source + ": " + msg
}
func (e *SourceError) Unwrap() error { return e.Err }
