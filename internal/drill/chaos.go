package drill

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/sagatrace/sagatrace/internal/auth"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
	"github.com/sagatrace/sagatrace/workflows"
)

// killDeadline bounds the wait for an activity in flight on the drill's
// worker before it is killed anyway (and the kill counts as missed).
const killDeadline = 30 * time.Second

// maxKills is how many workers worker-killed SIGKILLs, at most, for one
// kill to land while activities are in flight on the victim.
const maxKills = 5

// startedSagas collects the workflow IDs of a batch as they start.
type startedSagas struct {
	mu  sync.Mutex
	ids []string
}

func (s *startedSagas) add(id string) { s.mu.Lock(); s.ids = append(s.ids, id); s.mu.Unlock() }

func (s *startedSagas) list() []string { s.mu.Lock(); defer s.mu.Unlock(); return slices.Clone(s.ids) }

// withKilledWorker runs the sagas on the drill's own worker process and
// SIGKILLs it under them; a new one takes its place. The killed worker's
// activities are abandoned mid-request; Temporal retries them on the new
// worker once their start-to-close timeout passes. A kill that found no
// activity in flight proves nothing, so the drill kills the replacement
// too, until a kill lands or maxKills were spent — then the scenario fails.
func (d *driver) withKilledWorker(ctx context.Context, sc Scenario, b batch, inputs []workflows.Input) ([]run, proof, error) {
	victim, err := d.startWorker(ctx, workerSpec{taskQueue: b.queue})
	if err != nil {
		return nil, proof{}, err
	}
	var started startedSagas
	b.started = started.add

	type result struct {
		last *workerProcess
		p    proof
		err  error
	}
	sagasDone, resc := make(chan struct{}), make(chan result, 1)
	go func() {
		var p proof
		w := victim
		for kill := 1; ; kill++ {
			activities, sagas, err := d.killMidFlight(ctx, w, started.list, sagasDone)
			if err != nil {
				resc <- result{p: p, err: err}
				return
			}
			// The sagas run only on the drill's workers: each kill needs a
			// replacement, landed or not.
			next, err := d.startWorker(ctx, workerSpec{taskQueue: b.queue})
			if err != nil {
				resc <- result{p: p, err: fmt.Errorf("start the replacement worker: %w", err)}
				return
			}
			p.notes = append(p.notes, fmt.Sprintf("kill %d: worker pid %d SIGKILLed with %d activities of %d sagas in flight on it; pid %d took over",
				kill, w.pid(), activities, sagas, next.pid()))
			if activities > 0 {
				p.landedOn = sagas
				resc <- result{last: next, p: p}
				return
			}
			select {
			case <-sagasDone:
			default:
				if kill < maxKills {
					w = next
					continue
				}
			}
			p.notLand = fmt.Sprintf("none of %d kills found an activity in flight on the worker", kill)
			resc <- result{last: next, p: p}
			return
		}
	}()
	runs := d.runAll(ctx, sc, b, inputs)
	close(sagasDone)
	res := <-resc
	if res.last != nil {
		res.err = errors.Join(res.err, res.last.stop())
	}
	return runs, res.p, res.err
}

// killMidFlight waits until activities are in flight on w — then a second
// more, for other sagas' hops to reach it too — and SIGKILLs it. It kills
// it anyway when the sagas end first or killDeadline passes, and returns
// how many activities, of how many sagas, were in flight on it at the kill.
func (d *driver) killMidFlight(ctx context.Context, w *workerProcess, started func() []string, sagasDone <-chan struct{}) (activities, sagas int, err error) {
	deadline := time.After(killDeadline)
	var seen time.Time
wait:
	for seen.IsZero() || time.Since(seen) < time.Second {
		if n, _ := d.inFlightOn(ctx, w, started()); seen.IsZero() && n > 0 {
			seen = time.Now()
		}
		select {
		case <-sagasDone:
			break wait
		case <-deadline:
			break wait
		case <-ctx.Done():
			return 0, 0, errors.Join(ctx.Err(), w.kill())
		case <-time.After(250 * time.Millisecond):
		}
	}
	// Counted just before the kill: the slowed hop (3 s) that was in
	// flight at the count is in flight when the signal lands.
	activities, sagas = d.inFlightOn(ctx, w, started())
	if err := w.kill(); err != nil {
		return 0, 0, err
	}
	fmt.Fprintf(d.progress, "  worker-killed: SIGKILL to worker pid %d, %d activities of %d sagas in flight on it\n", w.pid(), activities, sagas)
	return activities, sagas, nil
}

// inFlightOn counts the started activities of the given sagas that Temporal
// says the worker process w picked up, and the sagas they belong to.
func (d *driver) inFlightOn(ctx context.Context, w *workerProcess, workflowIDs []string) (activities, sagas int) {
	for _, id := range workflowIDs {
		desc, err := d.temporal.DescribeWorkflowExecution(ctx, id, "")
		if err != nil {
			continue // a count that is low by one saga only delays the kill
		}
		n := 0
		for _, pa := range desc.GetPendingActivities() {
			if pa.GetState() == enumspb.PENDING_ACTIVITY_STATE_STARTED && strings.HasPrefix(pa.GetLastWorkerIdentity(), w.identity()) {
				n++
			}
		}
		activities += n
		if n > 0 {
			sagas++
		}
	}
	return activities, sagas
}

// withExpiringToken runs the sagas on the drill's own worker, which calls
// the payment service through a tokenProxy: the charge commits and loses
// its answer (crash-after-commit), its retry reaches the service with an
// expired token, and the service refuses it 401. The race lands on a saga
// when the service answered that retry 401; the saga must still complete,
// charged once — a 401 is retried (and renews the worker's token), never
// taken as proof that nothing was charged.
func (d *driver) withExpiringToken(ctx context.Context, sc Scenario, b batch, inputs []workflows.Input) ([]run, proof, error) {
	if d.issuer == nil {
		return nil, proof{}, errors.New("token-expires-mid-retry mints an expired token: it needs the issuer's private key (--auth-key), not a token file")
	}
	steps := workflows.OrderSagaSteps()
	// Minted an hour ago for a minute: signed by the right key, with the
	// worker's scopes, refused only for having expired.
	expired, err := d.issuer.WithClock(func() time.Time { return time.Now().Add(-time.Hour) }).Mint(auth.Grant{
		Subject: "sagatrace-drill-expired", Audience: []string{paymentapi.Audience},
		Scopes: append(workflows.WorkerScopes(steps, paymentapi.Audience), auth.ScopeFaultsInject), TTL: time.Minute,
	})
	if err != nil {
		return nil, proof{}, fmt.Errorf("mint the expired token: %w", err)
	}
	px, err := startTokenProxy(d.o.PaymentURL, expired)
	if err != nil {
		return nil, proof{}, err
	}
	defer px.close()
	w, err := d.startWorker(ctx, workerSpec{taskQueue: b.queue, paymentURL: px.url})
	if err != nil {
		return nil, proof{}, err
	}
	runs := d.runAll(ctx, sc, b, inputs)
	for i := range runs {
		status, sent := px.answer(runs[i].in.DTID)
		switch {
		case !sent:
			runs[i].evidence = "no charge retry reached the service with the expired token"
		case status != http.StatusUnauthorized:
			runs[i].evidence = fmt.Sprintf("the service answered the expired token %d, want 401", status)
		default:
			runs[i].landed = true
			runs[i].evidence = "charge attempt " + expiredOnAttempt + " refused 401 (expired token)"
		}
	}
	return runs, proof{}, w.stop()
}

// withScoringOutage runs the sagas on the drill's own worker, connected to
// NATS through a tcpProxy, and cuts that link for at least scoringOutage
// and until every saga has failed to publish at least once: the stream is
// unreachable, the sagas must wait (the scoring step retries without a
// deadline) and complete once it is back — nothing undone, scored once.
// All sagas start at once, since they all must be waiting during the
// outage. The race lands on a saga whose publish Temporal had retried when
// the link came back.
func (d *driver) withScoringOutage(ctx context.Context, sc Scenario, b batch, inputs []workflows.Input) ([]run, proof, error) {
	px, w, err := d.workerBehindNATSProxy(ctx, b.queue, nil, nil)
	if err != nil {
		return nil, proof{}, err
	}
	defer px.close()
	var started startedSagas
	b.started, b.concurrency = started.add, len(inputs)
	px.cut()
	cutAt := time.Now()
	fmt.Fprintf(d.progress, "  scoring-unavailable: NATS cut off from worker pid %d\n", w.pid())
	restored := make(chan map[string]bool, 1)
	go func() {
		waited := d.awaitPublishRetried(ctx, started.list, len(inputs), cutAt.Add(scoringOutage))
		px.restore()
		fmt.Fprintf(d.progress, "  scoring-unavailable: NATS back after %s; %d of %d sagas were retrying their publish\n",
			time.Since(cutAt).Round(100*time.Millisecond), len(waited), len(inputs))
		restored <- waited
	}()
	runs := d.runAll(ctx, sc, b, inputs)
	waited := <-restored
	for i := range runs {
		if waited[workflows.WorkflowID(runs[i].in.DTID)] {
			runs[i].landed, runs[i].evidence = true, "its publish was retried while NATS was away"
		} else {
			runs[i].evidence = "its publish was not seen retried while NATS was away"
		}
	}
	p := proof{notes: []string{fmt.Sprintf("NATS cut off from the drill's worker for %s; %d of %d sagas waited at scoring through it", scoringOutage, len(waited), len(inputs))}}
	return runs, p, w.stop()
}

// outageDeadline bounds an outage past its minimum: long enough for every
// saga to reach its publish and fail it once on a slow machine.
const outageDeadline = 2 * time.Minute

// awaitPublishRetried returns, once notBefore has passed and every one of
// want sagas has a publish that failed at least once (or outageDeadline
// later), the workflow IDs of those that had.
func (d *driver) awaitPublishRetried(ctx context.Context, started func() []string, want int, notBefore time.Time) map[string]bool {
	deadline := notBefore.Add(outageDeadline)
	waited := map[string]bool{}
	for {
		for _, id := range started() {
			if waited[id] {
				continue
			}
			desc, err := d.temporal.DescribeWorkflowExecution(ctx, id, "")
			if err != nil {
				continue // read again on the next round
			}
			for _, pa := range desc.GetPendingActivities() {
				if pa.GetActivityType().GetName() == publishActivity && pa.GetAttempt() > 1 {
					waited[id] = true
				}
			}
		}
		now := time.Now()
		if (now.After(notBefore) && len(waited) == want) || now.After(deadline) {
			return waited
		}
		if pause(ctx, pollEvery) != nil {
			return waited
		}
	}
}

// withLostAcks runs the sagas on the drill's own worker, connected to NATS
// through a tcpProxy that drops the first lostAcks PubAcks of each score
// event: the stream stored it, the worker never heard. The publish must be
// retried (not taken as refused: that would undo a paid order) and the
// retries deduplicated by the event's ID, so the profile counts it once.
// The race lands on a saga whose PubAck was dropped lostAcks times.
func (d *driver) withLostAcks(ctx context.Context, sc Scenario, b batch, inputs []workflows.Input) ([]run, proof, error) {
	loser := newAckLoser(lostAcks)
	px, w, err := d.workerBehindNATSProxy(ctx, b.queue, loser.filter, loser.watch)
	if err != nil {
		return nil, proof{}, err
	}
	defer px.close()
	runs := d.runAll(ctx, sc, b, inputs)
	for i := range runs {
		n := loser.lost(runs[i].in.ProfileID)
		runs[i].landed = n == lostAcks
		runs[i].evidence = fmt.Sprintf("%d PubAcks of its stored event dropped", n)
		if !runs[i].landed {
			runs[i].evidence = fmt.Sprintf("only %d of %d PubAcks of its event dropped", n, lostAcks)
		}
	}
	return runs, proof{}, w.stop()
}

// workerBehindNATSProxy starts a tcpProxy in front of the stack's NATS
// (filter and watch as startTCPProxy takes them) and the drill's worker on
// queue, connected to NATS through it. The caller closes the proxy and
// stops the worker.
func (d *driver) workerBehindNATSProxy(ctx context.Context, queue string, filter, watch relayFunc) (*tcpProxy, *workerProcess, error) {
	upstream, err := natsHostPort(d.o.NATSURL)
	if err != nil {
		return nil, nil, err
	}
	px, err := startTCPProxy(upstream, filter, watch)
	if err != nil {
		return nil, nil, err
	}
	w, err := d.startWorker(ctx, workerSpec{taskQueue: queue, natsURL: "nats://" + px.addr()})
	if err != nil {
		return nil, nil, errors.Join(err, px.close())
	}
	return px, w, nil
}
