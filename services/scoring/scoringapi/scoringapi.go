// Package scoringapi is the scoring service's contract: the event a
// publisher sends to scoring.events.<profile_id> (a plain `nats pub` is
// enough), the answers of its read API, the scope those reads need, and a
// Client for them. It is light on purpose — no NATS, no database — so the
// saga's activities, the console and the drill can name these types.
package scoringapi

import (
	"time"

	"github.com/sagatrace/sagatrace/internal/ids"
)

// SubjectPrefix + profile ID is the subject an event is published to; the
// stream captures scoring.events.*.
const SubjectPrefix = "scoring.events."

// Subject is where an event for profileID is published.
func Subject(profileID string) string { return SubjectPrefix + profileID }

// Audience is the scoring service's token audience; ScopeRead is what
// its read API wants.
const (
	Audience  = "scoring"
	ScopeRead = "scores:read" // GET /v1/scores/{profile}, /v1/scores?top=N
)

// OpPublish is the saga's scoring step: publish one event and wait for the
// stream's PubAck. The worker applies its faults itself, as no service
// stands in front of the stream.
const OpPublish ids.Operation = "scoring.publish"

// Ack is the stream's acknowledgement of a published event: where it was
// stored, and whether the stream already held an event with its EventID
// (within the stream's duplicate window) and so dropped this one.
type Ack struct {
	Sequence  uint64
	Duplicate bool
}

// Event is one scoring event, as published to scoring.events.<profile_id>.
type Event struct {
	// EventID is optional (a plain `nats pub` has none); the saga sets it.
	EventID   string `json:"event_id,omitempty"`
	DTID      string `json:"dtid,omitempty"`
	ProfileID string `json:"profile_id"`
	Kind      string `json:"kind"`
	Delta     int64  `json:"delta"`
}

// Score is one profile's stored score.
type Score struct {
	ProfileID string    `json:"profile_id"`
	Score     int64     `json:"score"`
	Events    int64     `json:"events"`
	LastDTID  string    `json:"last_dtid,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
}

// ScoreView is the answer of GET /v1/scores/{profile_id}. With ?fresh=true,
// Score and Events include Pending, the part not yet committed.
type ScoreView struct {
	Score
	Pending *PendingView `json:"pending,omitempty"`
}

// PendingView is what hot and cold hold for a profile.
type PendingView struct {
	Score  int64 `json:"score"`
	Events int64 `json:"events"`
	// Owned is false when another instance owns the profile's partition;
	// its pending part is then not included.
	Owned bool `json:"owned"`
}

// Leaderboard is the answer of GET /v1/scores?top=N.
type Leaderboard struct {
	Items []Score `json:"items"`
}
