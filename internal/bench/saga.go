package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/sagatrace/sagatrace/internal/auth"
	"github.com/sagatrace/sagatrace/internal/component"
	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/payloadcodec"
	"github.com/sagatrace/sagatrace/internal/telemetry"
	"github.com/sagatrace/sagatrace/internal/temporalclient"
	"github.com/sagatrace/sagatrace/services/order/orderapi"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
	"github.com/sagatrace/sagatrace/workflows"
)

// SagaOptions shape `sagatrace bench saga`.
type SagaOptions struct {
	Sagas, Concurrency, Warmup, Rounds                                      int
	TemporalAddress, Namespace, PaymentURL, OrderURL, NATSURL, OTLPEndpoint string
	Progress                                                                io.Writer
	Logger                                                                  *slog.Logger
	// NATSSeedFile is the nkey seed the benchmark's workers connect to
	// NATS with, as the worker user.
	NATSSeedFile string
	// Auth is where the benchmark's workers get their tokens for the services.
	Auth auth.ClientConfig
	// CodecKeyFile encrypts the benchmark's payloads, as the stack's
	// (--codec-key-file); "" keeps them in clear.
	CodecKeyFile string
}

// SagaCase is one measured case.
type SagaCase struct {
	Name          string        `json:"name"`
	Sagas         int           `json:"sagas"`
	Failed        int           `json:"failed"`
	Seconds       float64       `json:"seconds"`
	Rate          float64       `json:"sagas_per_second"`
	P50, P95, P99 time.Duration `json:"-"`
	P50ms         float64       `json:"p50_ms"`
	P95ms         float64       `json:"p95_ms"`
	P99ms         float64       `json:"p99_ms"`
}

// SagaResult holds the three cases and the ratios the issue asks for.
type SagaResult struct {
	Cases []SagaCase `json:"cases"`
	// RealVsBaseline is the real saga's throughput over the no-op's (2/1).
	RealVsBaseline float64 `json:"real_vs_baseline"`
	// TracedVsUntraced is the real saga traced over untraced (2/3).
	TracedVsUntraced float64 `json:"traced_vs_untraced"`
	// The same ratios round by round: their spread is the machine's noise,
	// which a ratio over all rounds hides.
	RealVsBaselineRounds   []float64 `json:"real_vs_baseline_rounds"`
	TracedVsUntracedRounds []float64 `json:"traced_vs_untraced_rounds"`
}

// Task queues of the benchmark's own workers, so that the three cases run
// with the same worker settings and do not share pollers with `dev`'s.
const (
	queueNoop     = "bench-noop"
	queueTraced   = "bench-sagas"
	queueUntraced = "bench-sagas-untraced"
)

// RunSaga measures, in one process against one Temporal server: a no-op
// workflow with three no-op activities; the real OrderSaga; and the real
// OrderSaga with tracing off end to end (unsampled, so no service records).
func RunSaga(ctx context.Context, o SagaOptions) (SagaResult, error) {
	var res SagaResult
	stop, err := startBenchWorkers(ctx, o)
	if err != nil {
		return res, err
	}
	defer stop()
	cases := []struct {
		name, queue string
		traced      bool
		start       func(ctx context.Context, c client.Client, queue string) (client.WorkflowRun, error)
	}{
		{"1 baseline: no-op workflow, 3 no-op activities", queueNoop, true, startNoop},
		{"2 OrderSaga, traced", queueTraced, true, startOrderSaga},
		{"3 OrderSaga, tracing off", queueUntraced, false, startOrderSaga},
	}
	// The server's database grows during the run, so the cases take turns:
	// rounds alternate their order (1 2 3, 3 2 1, …) and each case's figures
	// are over all its rounds.
	rounds := max(o.Rounds, 1)
	per := max(o.Sagas/rounds, 1)
	latencies := make([][]time.Duration, len(cases))
	seconds := make([]float64, len(cases))
	for r := range rounds {
		rate := make([]float64, len(cases))
		for k := range cases {
			i := k
			if r%2 == 1 {
				i = len(cases) - 1 - k
			}
			cs := cases[i]
			c, closeClient, err := benchClient(ctx, o, cs.traced)
			if err != nil {
				return res, err
			}
			start := func(ctx context.Context) (client.WorkflowRun, error) { return cs.start(ctx, c, cs.queue) }
			label := fmt.Sprintf("round %d/%d, %s", r+1, rounds, cs.name)
			if r == 0 && o.Warmup > 0 {
				fmt.Fprintf(o.Progress, "%s: warm-up, %d…\n", label, o.Warmup)
				if _, _, err := runMany(ctx, o.Warmup, o.Concurrency, start, nil); err != nil {
					closeClient()
					return res, fmt.Errorf("%s: warm-up: %w", cs.name, err)
				}
			}
			lat, secs, err := runMany(ctx, per, o.Concurrency, start, func(done, failed int, elapsed time.Duration) {
				fmt.Fprintf(o.Progress, "%s: %d/%d done (%d failed), %.1f/s\n", label, done, per, failed, float64(done)/elapsed.Seconds())
			})
			closeClient()
			if err != nil {
				return res, fmt.Errorf("%s: %w", cs.name, err)
			}
			latencies[i] = append(latencies[i], lat...)
			seconds[i] += secs
			rate[i] = float64(len(lat)) / secs
		}
		res.RealVsBaselineRounds = append(res.RealVsBaselineRounds, rate[1]/rate[0])
		res.TracedVsUntracedRounds = append(res.TracedVsUntracedRounds, rate[1]/rate[2])
	}
	for i, cs := range cases {
		res.Cases = append(res.Cases, summarize(cs.name, latencies[i], seconds[i]))
	}
	res.RealVsBaseline = res.Cases[1].Rate / res.Cases[0].Rate
	res.TracedVsUntraced = res.Cases[1].Rate / res.Cases[2].Rate
	return res, nil
}

func startNoop(ctx context.Context, c client.Client, queue string) (client.WorkflowRun, error) {
	return c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "bench-noop-" + ids.NewUUID(), TaskQueue: queue}, NoopSaga)
}

func startOrderSaga(ctx context.Context, c client.Client, queue string) (client.WorkflowRun, error) {
	dtid := ids.NewDTID()
	in := workflows.Input{
		DTID: dtid, CustomerID: "bench", ProfileID: "bench-" + dtid[len(dtid)-4:], AmountCents: 1299, Currency: "USD",
		Items: []workflows.Item{{SKU: "sku-1", Qty: 1, PriceCents: 1299}},
	}
	// As `sagatrace start` starts it: with the DTID search attribute set.
	return c.ExecuteWorkflow(ctx, workflows.StartOptions(dtid, queue), workflows.WorkflowType, in)
}

// runMany runs n workflows, at most concurrency at a time, each timed from
// start to result; report, when given, is called about once a second. It
// returns every latency and the wall time.
func runMany(ctx context.Context, n, concurrency int, start func(context.Context) (client.WorkflowRun, error),
	report func(done, failed int, elapsed time.Duration)) ([]time.Duration, float64, error) {
	latencies := make([]time.Duration, n)
	var next, done, failed atomic.Int64
	var firstErr error
	var errOnce sync.Once
	begin := time.Now()
	var wg sync.WaitGroup
	for range min(concurrency, max(n, 1)) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n && ctx.Err() == nil; i = int(next.Add(1) - 1) {
				t0 := time.Now()
				run, err := start(ctx)
				if err == nil {
					err = run.Get(ctx, nil)
				}
				latencies[i] = time.Since(t0)
				if err != nil {
					failed.Add(1)
					errOnce.Do(func() { firstErr = err })
				}
				done.Add(1)
			}
		})
	}
	if report != nil {
		ticker := time.NewTicker(time.Second)
		finished := make(chan struct{})
		go func() { wg.Wait(); close(finished) }()
	loop:
		for {
			select {
			case <-ticker.C:
				report(int(done.Load()), int(failed.Load()), time.Since(begin))
			case <-finished:
				break loop
			}
		}
		ticker.Stop()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return nil, 0, ctx.Err()
	}
	if f := int(failed.Load()); f > 0 {
		return nil, 0, fmt.Errorf("%d of %d workflows failed; first: %w", f, n, firstErr)
	}
	return latencies, time.Since(begin).Seconds(), nil
}

// summarize turns one case's latencies and wall time into its figures.
func summarize(name string, latencies []time.Duration, seconds float64) SagaCase {
	slices.Sort(latencies)
	n := len(latencies)
	pct := func(p float64) time.Duration {
		if n == 0 {
			return 0
		}
		return latencies[min(n-1, int(p*float64(n)))]
	}
	c := SagaCase{Name: name, Sagas: n, Seconds: seconds, Rate: float64(n) / seconds, P50: pct(0.50), P95: pct(0.95), P99: pct(0.99)}
	c.P50ms, c.P95ms, c.P99ms = ms(c.P50), ms(c.P95), ms(c.P99)
	return c
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// benchClient dials Temporal with tracing on or off, like the workers.
func benchClient(ctx context.Context, o SagaOptions, traced bool) (client.Client, func(), error) {
	tp, err := telemetry.NewTracerProvider(ctx, telemetry.Config{ServiceName: "sagatrace-bench", OTLPEndpoint: o.OTLPEndpoint, Disabled: !traced})
	if err != nil {
		return nil, nil, err
	}
	topts := temporalclient.Options{Address: o.TemporalAddress, Namespace: o.Namespace, TracerProvider: tp, Logger: o.Logger}
	if o.CodecKeyFile != "" {
		if topts.Codec, err = payloadcodec.LoadCodec(o.CodecKeyFile); err != nil {
			_ = telemetry.Shutdown(tp, 5*time.Second)
			return nil, nil, err
		}
	}
	c, err := temporalclient.Dial(ctx, topts)
	if err != nil {
		_ = telemetry.Shutdown(tp, 5*time.Second)
		return nil, nil, err
	}
	return c, func() { c.Close(); _ = telemetry.Shutdown(tp, 5*time.Second) }, nil
}

// startBenchWorkers starts the three workers with the same settings.
func startBenchWorkers(ctx context.Context, o SagaOptions) (stop func(), err error) {
	var stops []func()
	stop = func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}
	c, closeClient, err := benchClient(ctx, o, true)
	if err != nil {
		return nil, err
	}
	stops = append(stops, closeClient)
	w := worker.New(c, queueNoop, component.WorkerOptions())
	w.RegisterWorkflowWithOptions(NoopSaga, workflow.RegisterOptions{Name: "NoopSaga"})
	w.RegisterActivity(NoopActivity)
	if err := w.Start(); err != nil {
		stop()
		return nil, fmt.Errorf("start no-op worker: %w", err)
	}
	stops = append(stops, w.Stop)
	for _, q := range []struct {
		queue  string
		traced bool
	}{{queueTraced, true}, {queueUntraced, false}} {
		r, err := component.StartWorker(ctx, component.WorkerConfig{
			Common:          component.Common{OTLPEndpoint: o.OTLPEndpoint, TracingDisabled: !q.traced, Logger: o.Logger},
			TemporalAddress: o.TemporalAddress, Namespace: o.Namespace, TaskQueue: q.queue,
			ServiceURLs: map[string]string{paymentapi.Audience: o.PaymentURL, orderapi.Audience: o.OrderURL},
			NATSURL:     o.NATSURL, NATSSeedFile: o.NATSSeedFile, Auth: o.Auth, CodecKeyFile: o.CodecKeyFile,
		})
		if err != nil {
			stop()
			return nil, errors.Join(fmt.Errorf("start %s worker", q.queue), err)
		}
		stops = append(stops, func() {
			stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = r.Stop(stopCtx)
		})
	}
	return stop, nil
}
