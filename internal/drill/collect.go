package drill

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/services/scoring/scoringapi"
	"github.com/sagatrace/sagatrace/workflows"
)

// How long the collector waits for what arrives late: a score (the
// scoring service flushes every second) and traces (spans are exported in
// batches every second).
const (
	scoreWait  = 20 * time.Second
	traceWait  = 30 * time.Second
	pollEvery  = 500 * time.Millisecond
	collectors = 4
	// settle is how long after the last saga ended an absent score is
	// believed absent: a stray event would have been flushed by then.
	settle = 3 * time.Second
)

// scoreNotFound is the scoring service's problem type for a profile
// without a score. Any other 404 (a wrong --scoring-url) is an error, not
// "no score", or an compensated saga would pass by accident.
const scoreNotFound = "score-not-found"

// ledgers reads, for every saga, what the services and Jaeger hold for
// its DTID, a few sagas at a time.
func (d *driver) ledgers(ctx context.Context, sc Scenario, runs []run, since time.Time) ([]Ledger, error) {
	var last time.Time
	for _, r := range runs {
		if r.ended.After(last) {
			last = r.ended
		}
	}
	if wait := time.Until(last.Add(settle)); wait > 0 {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
	}
	out := make([]Ledger, len(runs))
	errs := make([]error, len(runs))
	// Every saga's error is reported, not only the first: errs, not the
	// group's error.
	var g errgroup.Group
	g.SetLimit(collectors)
	for i, r := range runs {
		g.Go(func() error {
			out[i], errs[i] = d.ledger(ctx, sc, r, since)
			return nil
		})
	}
	_ = g.Wait()
	return out, errors.Join(errs...)
}

// ledger reads one saga's records. An error means a source could not be
// read; what the sources hold is for Check to judge.
func (d *driver) ledger(ctx context.Context, sc Scenario, r run, since time.Time) (Ledger, error) {
	l := Ledger{
		DTID: r.in.DTID, AmountCents: r.in.AmountCents, ScoreDelta: workflows.ScoreDelta(r.in.AmountCents, r.in.Currency),
		Want: sc.Want, WantParked: sc.Park, Outcome: r.state.Status, Parked: r.parked, Hops: r.state.Hops,
		Faults: r.in.Faults, RaceLanded: r.landed, Evidence: r.evidence, AbandonedTrace: r.lateTrace,
	}
	if sc.Race.perSaga() {
		l.Race = sc.Race
	}
	if r.err != nil {
		l.Error = r.err.Error()
	}
	var err error
	if l.Payments, err = listAll(ctx, d.payments.List, l.DTID); err != nil {
		return l, err
	}
	if l.Orders, err = listAll(ctx, d.orders.List, l.DTID); err != nil {
		return l, err
	}
	if l.Score, err = d.score(ctx, r.in.ProfileID, l.Outcome == workflows.StatusCompleted); err != nil {
		return l, err
	}
	if l.Traces, err = d.traces(ctx, l, since); err != nil {
		return l, err
	}
	if sc.Park {
		l.ParkedEvent, err = d.parkedEvent(ctx, l.Hops)
	}
	return l, err
}

// listAll follows a service's list of one DTID to its last page.
func listAll[T any](ctx context.Context, list func(context.Context, httpapi.ListQuery) (httpapi.Page[T], error), dtid string) ([]T, error) {
	q := httpapi.ListQuery{DTID: dtid, Limit: 100}
	var out []T
	for range 100 { // a saga writes a handful of rows; 100 pages means a broken cursor
		page, err := list(ctx, q)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Items...)
		if page.NextCursor == "" {
			return out, nil
		}
		q.Cursor = page.NextCursor
	}
	return nil, fmt.Errorf("list of dtid %s: the cursor never ends", dtid)
}

// score returns the profile's score including what is not yet flushed, or
// nil when there is none. When one is expected it polls for it a while.
func (d *driver) score(ctx context.Context, profile string, expected bool) (*scoringapi.Score, error) {
	deadline := time.Now().Add(scoreWait)
	for {
		view, err := d.scores.Score(ctx, profile, true)
		var pe *httpapi.ProblemError
		switch {
		case err == nil && (!expected || view.Events > 0):
			return &view.Score, nil
		case errors.As(err, &pe) && pe.Status == http.StatusNotFound && pe.Type == scoreNotFound:
			if !expected || time.Now().After(deadline) {
				return nil, nil
			}
		case err != nil:
			return nil, fmt.Errorf("score of %s: %w", profile, err)
		}
		if time.Now().After(deadline) {
			return &view.Score, nil
		}
		if err := pause(ctx, pollEvery); err != nil {
			return nil, err
		}
	}
}

func pause(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
