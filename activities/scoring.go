package activities

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/sagatrace/sagatrace/internal/faults"
	"github.com/sagatrace/sagatrace/services/scoring/scoringapi"
)

// ScoreEvents is what the saga needs of the scoring stream.
type ScoreEvents interface {
	Publish(ctx context.Context, ev scoringapi.Event) (scoringapi.Ack, error)
}

// ScoringActivities are the scoring step's activities. Do not copy.
type ScoringActivities struct {
	Hops
	Scores ScoreEvents
	// FaultsEnabled lets the worker honour the faults it applies itself
	// (scoring.publish): no service stands in front of the stream.
	FaultsEnabled bool
	// faultsIgnored warns once that a plan was ignored.
	faultsIgnored sync.Once
}

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
func (a *ScoringActivities) PublishScore(ctx context.Context, in PublishScoreInput) (PublishScoreResult, error) {
	ctx, h := a.startHop(ctx, hopSpec{dtid: in.DTID, step: "scoring", operation: scoringapi.OpPublish, faults: in.Faults})
	seq, err := a.publish(ctx, h, in)
	return PublishScoreResult{HopResult: h.result(), Sequence: seq}, h.end(ctx, err)
}

// publish applies the saga's scoring.publish fault around the publish. The
// stream has no service in front of it to do that, so the worker does it
// itself, when its faults are enabled, to let drills break the last step.
func (a *ScoringActivities) publish(ctx context.Context, h *hop, in PublishScoreInput) (uint64, error) {
	fault, err := a.publishFault(ctx, h, in.Faults[string(scoringapi.OpPublish)])
	if err != nil {
		return 0, err
	}
	// The attempt is Temporal's: a forward step runs in one activity execution.
	if err := fault.Before(ctx, int(h.attempt)); err != nil {
		h.span.AddEvent("fault injected", trace.WithAttributes(attribute.String("fault.kind", fault.String())))
		return 0, fmt.Errorf("%s: %w", scoringapi.OpPublish, err)
	}
	if fault.Kind == faults.Error {
		return 0, permanent("ScoringRefused", errors.New(string(scoringapi.OpPublish)+": injected fault"))
	}
	ack, err := a.Scores.Publish(ctx, scoringapi.Event{
		EventID: in.EventID, DTID: in.DTID, ProfileID: in.ProfileID, Kind: in.Kind, Delta: in.Delta,
	})
	// On the first attempt the stream cannot hold this saga's event yet: a
	// duplicate then means someone else published under its ID (event IDs
	// are random, recorded in the saga's history), and that event is not
	// this saga's score. On a retry a duplicate is the earlier attempt's
	// write, whose PubAck was lost: the event is stored once.
	if err == nil && ack.Duplicate && h.attempt == 1 {
		return 0, permanent("EventIDTaken", fmt.Errorf("%s: the stream already holds an event with ID %s, which this saga did not publish",
			scoringapi.OpPublish, in.EventID))
	}
	// The first attempt loses its PubAck after the stream stored the event;
	// the retry publishes again and the stream drops the duplicate by its
	// message ID.
	if err == nil && fault.Kind == faults.CrashAfterCommit && h.attempt == 1 {
		h.span.AddEvent("fault injected", trace.WithAttributes(attribute.String("fault.kind", fault.String())))
		return ack.Sequence, fmt.Errorf("%s: injected crash after the PubAck of sequence %d", scoringapi.OpPublish, ack.Sequence)
	}
	return ack.Sequence, err
}

// publishFault parses kind, or returns no fault when there is none or
// this worker does not honour faults.
func (a *ScoringActivities) publishFault(ctx context.Context, h *hop, kind string) (faults.Fault, error) {
	if kind == "" {
		return faults.Fault{}, nil
	}
	if !a.FaultsEnabled {
		a.faultsIgnored.Do(func() {
			h.logger.WarnContext(ctx, "fault injection is disabled on this worker; ignoring the saga's "+string(scoringapi.OpPublish)+" fault", "fault", kind)
		})
		return faults.Fault{}, nil
	}
	f, err := faults.ParseFault(kind)
	if err != nil {
		return faults.Fault{}, permanent("InvalidFault", fmt.Errorf("%s: %w", scoringapi.OpPublish, err))
	}
	return f, nil
}
