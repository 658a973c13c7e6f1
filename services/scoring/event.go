// Package scoring turns a stream of scoring events from NATS JetStream into
// per-profile scores in the service's database, exactly once, and serves
// them over HTTP. Publishers only need a subject: scoring.events.<profile_id>.
package scoring

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Event is one scoring event, as published to scoring.events.<profile_id>.
type Event struct {
	// EventID is optional (a plain `nats pub` has none); the saga sets it.
	EventID   string `json:"event_id,omitempty"`
	DTID      string `json:"dtid,omitempty"`
	ProfileID string `json:"profile_id"`
	Kind      string `json:"kind"`
	Delta     int64  `json:"delta"`
}

// Limits beyond which an event is refused (and sent to the DLQ).
const (
	MaxProfileIDLen = 128
	MaxAbsDelta     = 1_000_000
	MaxEventBytes   = 4096
)

// Reasons an event is refused; each is the last token of its DLQ subject.
const (
	ReasonNotJSON      = "not_json"
	ReasonUnknownField = "unknown_field"
	ReasonBadProfile   = "bad_profile"
	ReasonBadDelta     = "bad_delta"
	ReasonBadKind      = "bad_kind"
	ReasonTooLarge     = "too_large"
)

// DecodeError says why an event was refused.
type DecodeError struct {
	Reason string
	Err    error
}

func (e *DecodeError) Error() string { return e.Reason + ": " + e.Err.Error() }
func (e *DecodeError) Unwrap() error { return e.Err }

func refuse(reason, format string, args ...any) error {
	return &DecodeError{Reason: reason, Err: fmt.Errorf(format, args...)}
}

// Decode parses and checks one event strictly. It never panics, whatever the
// bytes: the stream is fed by anyone who can publish.
func Decode(data []byte) (Event, error) {
	if len(data) > MaxEventBytes {
		return Event{}, refuse(ReasonTooLarge, "event is %d bytes, at most %d are allowed", len(data), MaxEventBytes)
	}
	var ev Event
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(&ev); err != nil {
		var typeErr *json.UnmarshalTypeError
		switch {
		case strings.HasPrefix(err.Error(), "json: unknown field"):
			return Event{}, refuse(ReasonUnknownField, "%v", err)
		case errors.As(err, &typeErr) && typeErr.Field == "delta":
			return Event{}, refuse(ReasonBadDelta, "delta must be an integer, got %s", typeErr.Value)
		case errors.As(err, &typeErr):
			return Event{}, refuse(ReasonNotJSON, "field %q must not be a %s", typeErr.Field, typeErr.Value)
		}
		return Event{}, refuse(ReasonNotJSON, "%v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Event{}, refuse(ReasonNotJSON, "trailing data after the event object")
	}
	return ev, ev.check()
}

func (ev Event) check() error {
	switch {
	case ev.ProfileID == "":
		return refuse(ReasonBadProfile, "profile_id is required")
	case len(ev.ProfileID) > MaxProfileIDLen:
		return refuse(ReasonBadProfile, "profile_id is %d characters long, at most %d are allowed", len(ev.ProfileID), MaxProfileIDLen)
	case strings.ContainsAny(ev.ProfileID, ".*> \t\r\n"):
		return refuse(ReasonBadProfile, "profile_id %q may not contain NATS subject characters (. * > or spaces)", ev.ProfileID)
	case ev.Kind == "" || len(ev.Kind) > 64:
		return refuse(ReasonBadKind, "kind is required and at most 64 characters long")
	case ev.Delta < -MaxAbsDelta || ev.Delta > MaxAbsDelta:
		return refuse(ReasonBadDelta, "delta %d is outside ±%d", ev.Delta, MaxAbsDelta)
	}
	return nil
}

// Subject is where an event for profileID is published.
func Subject(profileID string) string { return SubjectPrefix + profileID }
