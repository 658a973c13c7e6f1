package timeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/jaegerquery"
	"github.com/sagatrace/sagatrace/workflows"
)

// Fetcher gathers a DTID's timeline from Temporal and Jaeger.
type Fetcher struct {
	Temporal *Temporal
	Jaeger   *jaegerquery.Client
	Links    Links
	Logger   *slog.Logger
	// Quiet is how long the set of traces must stay unchanged before the
	// fetch stops waiting for stragglers; 0 means 1 s, a little more than
	// the components' batch interval.
	Quiet time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// pollInterval paces the re-reads of Jaeger while waiting for stragglers.
const pollInterval = 250 * time.Millisecond

// Fetch reads the saga of dtid from Temporal and its traces from Jaeger,
// and builds its timeline. Spans reach Jaeger a moment after they end, in
// batches, so Fetch re-reads Jaeger until every hop saga_state names is
// there and the traces stopped changing for Quiet — or wait has passed
// (0: read once). It returns ErrUnknownDTID when neither source knows the
// DTID, and a *SourceError naming Temporal or Jaeger when one failed.
func (f *Fetcher) Fetch(ctx context.Context, dtid string, wait time.Duration) (Timeline, error) {
	now, quiet := f.clock(), f.Quiet
	if quiet == 0 {
		quiet = time.Second
	}
	saga, err := f.Temporal.Saga(ctx, dtid)
	switch {
	case errors.Is(err, ErrNoWorkflow):
		saga = nil
	case err != nil:
		return Timeline{}, err
	}
	// Jaeger wants explicit bounds; a saga unknown to Temporal may be old.
	from := now().Add(-30 * 24 * time.Hour)
	if saga != nil {
		from = saga.Start.Add(-time.Minute)
	}
	begin := now()
	var traces map[string]jaegerquery.Trace
	lastChange, fingerprint := begin, ""
	for {
		traces, err = f.Jaeger.FindAllByTag(ctx, ids.AttrDTID, dtid, from, now().Add(time.Minute))
		if err != nil {
			return Timeline{}, &SourceError{Source: "Jaeger", Err: err}
		}
		if saga == nil && len(traces) == 0 {
			return Timeline{}, fmt.Errorf("%w %s: Temporal has no workflow with DTID=%q (nor one with ID %s or %s) and Jaeger has no trace tagged dtid=%s",
				ErrUnknownDTID, dtid, dtid, workflows.WorkflowID(dtid), dtid, dtid)
		}
		if fp := fingerprintOf(traces); fp != fingerprint {
			fingerprint, lastChange = fp, now()
		}
		settled := complete(saga, traces) && now().Sub(lastChange) >= quiet
		if settled || now().Sub(begin) >= wait {
			break
		}
		select {
		case <-ctx.Done():
			return Timeline{}, ctx.Err()
		case <-time.After(pollInterval):
		}
	}
	f.logger().Debug("fetched timeline sources", slog.String("dtid", dtid), slog.Int("traces", len(traces)),
		slog.Duration("waited", now().Sub(begin)))
	return Build(Sources{DTID: dtid, Saga: saga, Traces: slices.Collect(maps.Values(traces)), Links: f.Links, Now: now()}), nil
}

// complete reports whether Jaeger holds every hop saga_state names and,
// for a closed saga, the orchestration trace (its RunWorkflow span ends
// last, with the saga).
func complete(saga *Saga, traces map[string]jaegerquery.Trace) bool {
	if saga == nil || saga.State == nil {
		return true
	}
	have := map[string]bool{}
	for id := range traces {
		have[jaegerquery.NormalizeTraceID(id)] = true
	}
	for _, h := range saga.State.Hops {
		if h.CorrelationID != "" && !have[h.CorrelationID] {
			return false
		}
	}
	if saga.Open() {
		return true
	}
	for _, tr := range traces {
		if hasSpan(tr, runWorkflowPrefix) {
			return true
		}
	}
	return false
}

// fingerprintOf changes whenever a trace or a span arrives.
func fingerprintOf(traces map[string]jaegerquery.Trace) string {
	parts := make([]string, 0, len(traces))
	for id, tr := range traces {
		parts = append(parts, fmt.Sprintf("%s:%d", id, len(tr.Spans)))
	}
	slices.Sort(parts)
	return strings.Join(parts, ",")
}

func (f *Fetcher) clock() func() time.Time {
	if f.Now != nil {
		return f.Now
	}
	return time.Now
}

func (f *Fetcher) logger() *slog.Logger {
	if f.Logger != nil {
		return f.Logger
	}
	return slog.New(slog.DiscardHandler)
}
