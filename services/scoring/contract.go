package scoring

import "github.com/sagatrace/sagatrace/services/scoring/scoringapi"

// The wire types live in the light contract package, so that callers of the
// service need neither NATS nor a database; these names keep the engine's
// code short.
type (
	Event       = scoringapi.Event
	Score       = scoringapi.Score
	ScoreView   = scoringapi.ScoreView
	PendingView = scoringapi.PendingView
	Leaderboard = scoringapi.Leaderboard
)

// SubjectPrefix + profile ID is where events are published.
const SubjectPrefix = scoringapi.SubjectPrefix

// Subject is where an event for profileID is published.
func Subject(profileID string) string { return scoringapi.Subject(profileID) }
