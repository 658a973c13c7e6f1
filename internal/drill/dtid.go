package drill

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/jaegerquery"
	"github.com/sagatrace/sagatrace/internal/timeline"
	"github.com/sagatrace/sagatrace/services/order/orderapi"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
	"github.com/sagatrace/sagatrace/services/scoring/scoringapi"
	"github.com/sagatrace/sagatrace/workflows"
)

// DTIDSources are the live parts one DTID is checked against (`sagatrace
// trace --check`): any saga, a drill's or a customer's.
type DTIDSources struct {
	Temporal *timeline.Temporal
	Jaeger   *jaegerquery.Client
	Payments *paymentapi.Client
	Orders   *orderapi.Client
	Scores   *scoringapi.Client
}

// DTIDInvariants are the invariants CheckDTID judges, in the order it
// prints them. exercised is among them: a saga started with a fault plan
// must show each fault's failed attempt.
var DTIDInvariants = []string{InvOutcome, InvMoney, InvOrderPaid, InvChargeAccounted, InvScoredOnce,
	InvTraced, InvLinked, InvDTIDTagged, InvSemconv, InvExercised}

// InvariantResult is one invariant's verdict on one DTID.
type InvariantResult struct {
	Invariant string `json:"invariant"`
	// Verdict is pass, fail or skip (the sources cannot tell).
	Verdict string   `json:"verdict"`
	Details []string `json:"details,omitempty"`
}

// DTIDReport is every invariant's verdict on one DTID.
type DTIDReport struct {
	DTID    string            `json:"dtid"`
	Status  workflows.Status  `json:"status"`
	Traces  int               `json:"traces"`
	Results []InvariantResult `json:"results"`
}

// OK reports whether no invariant failed.
func (r DTIDReport) OK() bool {
	return !slices.ContainsFunc(r.Results, func(x InvariantResult) bool { return x.Verdict == "fail" })
}

// ErrUnknownDTID is returned by CheckDTID when Temporal has no saga of the DTID.
var ErrUnknownDTID = timeline.ErrUnknownDTID

// CheckDTID reads what Temporal, the services and Jaeger hold for dtid and
// judges it with Check. Sagas settle and spans arrive late: it re-reads
// until the saga settled and every trace it names is in Jaeger, or wait
// passed (0: read once), then judges what it has.
func CheckDTID(ctx context.Context, src DTIDSources, dtid string, wait time.Duration) (DTIDReport, error) {
	deadline := time.Now().Add(wait)
	lastChange, fingerprint := time.Now(), ""
	for {
		l, err := dtidLedger(ctx, src, dtid)
		if err != nil {
			return DTIDReport{}, err
		}
		// A trace is in Jaeger as soon as its first batch is; the other
		// services' spans of it follow within a batch interval.
		if fp := spanFingerprint(l.TraceData); fp != fingerprint {
			lastChange, fingerprint = time.Now(), fp
		}
		quiet := time.Since(lastChange) >= spansQuiet
		if ledgerComplete(l) && quiet || !time.Now().Before(deadline) {
			return judge(l), nil
		}
		if err := pause(ctx, pollEvery); err != nil {
			return DTIDReport{}, err
		}
	}
}

// spansQuiet is how long the DTID's spans must stay unchanged before they
// are judged: a little more than the components' batch interval.
const spansQuiet = 1500 * time.Millisecond

func spanFingerprint(traces []jaegerquery.Trace) string {
	var b strings.Builder
	for _, tr := range traces {
		fmt.Fprintf(&b, "%s:%d,", tr.TraceID, len(tr.Spans))
	}
	return b.String()
}

// ledgerComplete reports whether l is worth judging now: the saga settled
// and every correlation ID it names has its trace in Jaeger.
func ledgerComplete(l Ledger) bool {
	if !settled(l.Outcome) {
		return false
	}
	for _, id := range correlationIDs(l) {
		if !l.Traces[id] {
			return false
		}
	}
	return l.Outcome != workflows.StatusCompleted || l.Score != nil || l.ScoreShared != ""
}

func judge(l Ledger) DTIDReport {
	r := DTIDReport{DTID: l.DTID, Status: l.Outcome, Traces: len(l.TraceData)}
	byInv := map[string][]string{}
	for _, v := range Check(l) {
		byInv[v.Invariant] = append(byInv[v.Invariant], v.Detail)
	}
	for _, inv := range DTIDInvariants {
		res := InvariantResult{Invariant: inv, Verdict: "pass", Details: byInv[inv]}
		switch {
		case len(res.Details) > 0:
			res.Verdict = "fail"
		case inv == InvScoredOnce && l.ScoreShared != "":
			res.Verdict, res.Details = "skip", []string{l.ScoreShared}
		}
		r.Results = append(r.Results, res)
	}
	return r
}

// dtidLedger reads one DTID's records from the live sources.
func dtidLedger(ctx context.Context, src DTIDSources, dtid string) (Ledger, error) {
	saga, err := src.Temporal.Saga(ctx, dtid)
	if errors.Is(err, timeline.ErrNoWorkflow) {
		return Ledger{}, fmt.Errorf("%w %s: Temporal has no saga with DTID=%q (nor workflow ID %s)", ErrUnknownDTID, dtid, dtid, workflows.WorkflowID(dtid))
	}
	if err != nil {
		return Ledger{}, err
	}
	l := Ledger{DTID: dtid}
	if saga.Input == nil {
		return l, fmt.Errorf("saga of %s: its input could not be read from Temporal's history", dtid)
	}
	l.AmountCents, l.Faults = saga.Input.AmountCents, saga.Input.Faults
	l.ScoreDelta = workflows.ScoreDelta(saga.Input.AmountCents, saga.Input.Currency)
	if saga.State != nil {
		l.Outcome, l.Hops = saga.State.Status, saga.State.Hops
	}
	if l.Payments, err = listAll(ctx, src.Payments.List, dtid); err != nil {
		return l, &timeline.SourceError{Source: "payment service", Err: err}
	}
	if l.Orders, err = listAll(ctx, src.Orders.List, dtid); err != nil {
		return l, &timeline.SourceError{Source: "order service", Err: err}
	}
	if l.Score, l.ScoreShared, err = dtidScore(ctx, src.Scores, saga.Input.ProfileID, dtid); err != nil {
		return l, &timeline.SourceError{Source: "scoring service", Err: err}
	}
	found, err := src.Jaeger.FindAllByTag(ctx, ids.AttrDTID, dtid, saga.Start.Add(-time.Minute), time.Now().Add(time.Minute))
	if err != nil {
		return l, &timeline.SourceError{Source: "Jaeger", Err: err}
	}
	l.Traces = make(map[string]bool, len(found))
	l.TraceData = make([]jaegerquery.Trace, 0, len(found))
	for _, id := range slices.Sorted(maps.Keys(found)) {
		l.Traces[jaegerquery.NormalizeTraceID(id)] = true
		l.TraceData = append(l.TraceData, found[id])
	}
	return l, nil
}

// dtidScore reads the profile's score and says when it cannot be pinned
// on dtid: a profile shared by several transactions holds their sum, so
// only an empty profile, or one whose single event is this DTID's, tells.
func dtidScore(ctx context.Context, scores *scoringapi.Client, profile, dtid string) (*scoringapi.Score, string, error) {
	view, err := scores.Score(ctx, profile, true)
	var pe *httpapi.ProblemError
	switch {
	case errors.As(err, &pe) && pe.Status == 404 && pe.Type == scoreNotFound:
		return nil, "", nil
	case err != nil:
		return nil, "", fmt.Errorf("score of %s: %w", profile, err)
	case view.Events == 0 || view.Events == 1 && (view.LastDTID == "" || view.LastDTID == dtid):
		return &view.Score, "", nil
	}
	return &view.Score, fmt.Sprintf("profile %s holds %d events, of other transactions too: scored-once needs a profile of its own", profile, view.Events), nil
}

// WriteDTIDReport prints one line per invariant — PASS, FAIL or SKIP — and
// under a FAIL or SKIP what it saw.
func WriteDTIDReport(w io.Writer, r DTIDReport) error {
	var b strings.Builder
	fmt.Fprintf(&b, "dtid %s: saga %s, %d traces in Jaeger\n", r.DTID, orUnknown(string(r.Status)), r.Traces)
	for _, res := range r.Results {
		fmt.Fprintf(&b, "  %-4s  %s\n", strings.ToUpper(res.Verdict), res.Invariant)
		for _, d := range res.Details {
			fmt.Fprintf(&b, "          %s\n", d)
		}
	}
	if r.OK() {
		b.WriteString("every check passed\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func orUnknown(s string) string {
	if s == "" {
		return "status unknown"
	}
	return s
}
