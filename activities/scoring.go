package activities

import (
	"context"
	"errors"
	"fmt"

	"github.com/sagatrace/sagatrace/services/scoring"
)

// PublishScoreInput is the saga's last step: one scoring event for the
// customer's profile.
type PublishScoreInput struct {
	DTID      string            `json:"dtid"`
	EventID   string            `json:"event_id"`
	ProfileID string            `json:"profile_id"`
	Kind      string            `json:"kind"`
	Delta     int64             `json:"delta"`
	Faults    map[string]string `json:"faults,omitempty"`
}

// PublishScoreResult is where the event landed in the stream.
type PublishScoreResult struct {
	HopResult
	Sequence uint64 `json:"sequence"`
}

// PublishScore publishes the event to JetStream and waits for its PubAck.
// The event ID is the JetStream message ID, so a retried publish within the
// stream's duplicate window is stored once.
func (a *Activities) PublishScore(ctx context.Context, in PublishScoreInput) (PublishScoreResult, error) {
	ctx, h := a.startHop(ctx, in.DTID, "scoring", "scoring.publish", false, in.Faults)
	var err error
	var seq uint64
	switch kind := in.Faults["scoring.publish"]; {
	case kind != "" && !a.FaultsEnabled:
		h.logger.WarnContext(ctx, "fault plan ignored: faults are not enabled on this worker", "fault", kind)
		fallthrough
	case kind == "":
		seq, err = a.Scores.Publish(ctx, scoring.Event{
			EventID: in.EventID, DTID: in.DTID, ProfileID: in.ProfileID, Kind: in.Kind, Delta: in.Delta,
		})
	case kind == "error":
		// The stream has no service in front of it to refuse the event, so
		// the worker honours this fault itself, to let drills fail the last step.
		err = permanent("ScoringRefused", errors.New("scoring.publish: injected fault"))
	default:
		err = permanent("InvalidFault", fmt.Errorf("scoring.publish: unsupported fault kind %q", kind))
	}
	return PublishScoreResult{HopResult: h.result(), Sequence: seq}, h.end(ctx, err)
}
