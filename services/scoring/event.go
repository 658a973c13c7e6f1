// Package scoring turns a stream of scoring events from NATS JetStream into
// per-profile scores in the service's database, exactly once, and serves
// them over HTTP. Publishers only need a subject: scoring.events.<profile_id>.
package scoring

import (
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/go-json-experiment/json"

	"github.com/sagatrace/sagatrace/internal/carddata"
	"github.com/sagatrace/sagatrace/internal/strictjson"
)

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
	ReasonBadID        = "bad_id"
	ReasonTooLarge     = "too_large"
	// ReasonControlChar: a field holds a control character (NUL among
	// them, which PostgreSQL refuses in text): never a real identifier.
	ReasonControlChar = "control_char"
	// ReasonCardData: a field or a header holds a card number. The dead
	// letter keeps no payload and the headers redacted (see deadLetterer).
	ReasonCardData = "card_data"
	// ReasonWrongPartition: the profile in the payload does not belong to
	// the partition its subject put it in (the subject's token and the
	// payload's profile_id disagree); counting it here would split the
	// profile's score between two owners.
	ReasonWrongPartition = "wrong_partition"
	// ReasonDataError: the database refused the event's row for good (a
	// score out of range, say). Such rows go to the scoring_poison table
	// rather than the DLQ: by then the event is folded into its profile's
	// batch.
	ReasonDataError = "data_error"
)

// MaxDTIDLen bounds a DTID taken from a payload or a header.
const MaxDTIDLen = 128

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
	// Strict as every API (internal/strictjson): unknown, duplicate and
	// wrongly cased members, trailing data and fractional numbers are
	// errors, at a fraction of encoding/json's cost, which matters here.
	if err := json.Unmarshal(data, &ev, strictjson.Options()); err != nil {
		var se *json.SemanticError
		switch {
		case errors.Is(err, json.ErrUnknownName):
			return Event{}, refuse(ReasonUnknownField, "%v", err)
		case errors.As(err, &se) && se.JSONPointer == "/delta":
			return Event{}, refuse(ReasonBadDelta, "delta must be an integer: %v", err)
		}
		return Event{}, refuse(ReasonNotJSON, "%v", err)
	}
	return ev, check(ev)
}

// check decides on the decoded strings, not the raw bytes: a JSON escape
// ("\u0034111…") hides nothing from it.
func check(ev Event) error {
	for _, f := range []struct{ name, value string }{
		{"profile_id", ev.ProfileID}, {"kind", ev.Kind}, {"event_id", ev.EventID}, {"dtid", ev.DTID},
	} {
		if carddata.Contains(f.value) {
			return refuse(ReasonCardData, "%s holds a card number; scoring events never carry one", f.name)
		}
		if i := strings.IndexFunc(f.value, unicode.IsControl); i >= 0 {
			return refuse(ReasonControlChar, "%s holds the control character %U at byte %d", f.name, []rune(f.value[i:])[0], i)
		}
	}
	switch {
	case ev.ProfileID == "":
		return refuse(ReasonBadProfile, "profile_id is required")
	case len(ev.ProfileID) > MaxProfileIDLen:
		return refuse(ReasonBadProfile, "profile_id is %d characters long, at most %d are allowed", len(ev.ProfileID), MaxProfileIDLen)
	case strings.ContainsAny(ev.ProfileID, ".*> \t\r\n"):
		return refuse(ReasonBadProfile, "profile_id %q may not contain NATS subject characters (. * > or spaces)", ev.ProfileID)
	case ev.Kind == "" || len(ev.Kind) > 64:
		return refuse(ReasonBadKind, "kind is required and at most 64 characters long")
	case len(ev.DTID) > MaxDTIDLen || len(ev.EventID) > MaxDTIDLen:
		return refuse(ReasonBadID, "dtid and event_id are at most %d characters long", MaxDTIDLen)
	case ev.Delta < -MaxAbsDelta || ev.Delta > MaxAbsDelta:
		return refuse(ReasonBadDelta, "delta %d is outside ±%d", ev.Delta, MaxAbsDelta)
	}
	return nil
}

// CheckDTIDHeader checks a DTID taken from a message header as the
// decoder checks one from the payload.
func CheckDTIDHeader(dtid string) error {
	return check(Event{ProfileID: "x", Kind: "x", DTID: dtid})
}

// containsCardInJSON reports whether any string in data, decoded as
// arbitrary JSON, holds a card number: for events the strict decoder
// refused before checking their fields (an unknown member, say), whose
// raw bytes may hide a number behind JSON escapes.
func containsCardInJSON(data []byte) bool {
	var v any
	if json.Unmarshal(data, &v) != nil {
		return false
	}
	return anyString(v, carddata.Contains)
}

func anyString(v any, f func(string) bool) bool {
	switch v := v.(type) {
	case string:
		return f(v)
	case []any:
		for _, e := range v {
			if anyString(e, f) {
				return true
			}
		}
	case map[string]any:
		for k, e := range v {
			if f(k) || anyString(e, f) {
				return true
			}
		}
	}
	return false
}
