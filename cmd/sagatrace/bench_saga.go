package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"time"

	"github.com/sagatrace/sagatrace/internal/bench"
	"github.com/sagatrace/sagatrace/internal/natsauth"
	"github.com/sagatrace/sagatrace/internal/telemetry"
	"github.com/sagatrace/sagatrace/services/order/orderapi"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
)

const benchSagaSynopsis = `Measures saga throughput and latency against a running stack (the dev stack
by default), in one run against one Temporal server: (1) a no-op workflow with
three no-op activities, (2) the real OrderSaga, traced, (3) the real OrderSaga
with tracing off end to end. The benchmark runs its own three workers, with
the same settings, on their own task queues; the services are the stack's
(the workers' tokens are minted with --auth-key, the dev stack's by default).
Prints sagas/s, p50/p95/p99 latency and the ratios 2/1 and 2/3.`

func runBenchSaga(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench saga [flags]", benchSagaSynopsis,
		"  go run ./cmd/sagatrace bench saga\n  go run ./cmd/sagatrace bench saga --sagas 200 --concurrency 20 --json", stderr)
	o := bench.SagaOptions{Progress: stderr}
	fs.IntVar(&o.Sagas, "sagas", 1000, "measured workflows per case")
	fs.IntVar(&o.Concurrency, "concurrency", 100, "workflows in flight at once")
	fs.IntVar(&o.Warmup, "warmup", 100, "unmeasured workflows per case first")
	fs.IntVar(&o.Rounds, "rounds", 3, "rounds the cases take turns in (order alternates), --sagas split over them")
	defineTemporal(fs, &o.TemporalAddress, &o.Namespace)
	urls := defineServiceURLs(fs)
	defineNATS(fs, &o.NATSURL, &o.NATSSeedFile, natsauth.Worker, devNATSSeed(natsauth.Worker))
	fs.StringVar(&o.OTLPEndpoint, "otlp-endpoint", "http://127.0.0.1:4318", "OTLP/HTTP endpoint of the traced cases")
	defineClientAuth(fs, &o.Auth, devKeyFile)
	codecFlag := defineCodecKeyFile(fs)
	asJSON := fs.Bool("json", false, "print the result as JSON")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file (go tool pprof)")
	mutexProfile := fs.String("mutexprofile", "", "write a mutex contention profile of the run to this file (go tool pprof)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	o.PaymentURL, o.OrderURL = *urls[paymentapi.Audience], *urls[orderapi.Audience]
	var err error
	if o.CodecKeyFile, err = codecKeyFile(*codecFlag); err != nil {
		return err
	}
	if o.Sagas < 1 || o.Concurrency < 1 || o.Warmup < 0 {
		return usageError{"--sagas and --concurrency must be at least 1, --warmup at least 0"}
	}
	// The SDK logs every worker start at info; the benchmark's own output is
	// its progress and table.
	o.Logger = slog.New(telemetry.NewLogHandler(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	stopProfile, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return fmt.Errorf("--cpuprofile: %w", err)
	}
	defer stopProfile()
	if *mutexProfile != "" {
		// One contention event in 5 is sampled: enough to rank the locks,
		// cheap enough not to become one.
		runtime.SetMutexProfileFraction(5)
		defer runtime.SetMutexProfileFraction(0)
	}
	res, err := bench.RunSaga(ctx, o)
	if err != nil {
		return fmt.Errorf("bench saga: %w (is the stack running? `sagatrace dev`)", err)
	}
	if *mutexProfile != "" {
		if err := writeProfile(*mutexProfile, "mutex"); err != nil {
			return fmt.Errorf("--mutexprofile: %w", err)
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	fmt.Fprintf(stdout, "\nsaga throughput — %d sagas per case in %d alternating rounds, concurrency %d, after %d warm-up\n", res.Cases[0].Sagas, o.Rounds, o.Concurrency, o.Warmup)
	fmt.Fprintf(stdout, "machine: %d cores (GOMAXPROCS %d), %s/%s, %s\n\n", runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH, time.Now().UTC().Format("2006-01-02"))
	fmt.Fprintf(stdout, "| %-48s | %8s | %8s | %8s | %8s |\n", "case", "sagas/s", "p50 ms", "p95 ms", "p99 ms")
	fmt.Fprintf(stdout, "|%s|%s|%s|%s|%s|\n", dashes(50), dashes(10), dashes(10), dashes(10), dashes(10))
	for _, c := range res.Cases {
		fmt.Fprintf(stdout, "| %-48s | %8.1f | %8.0f | %8.0f | %8.0f |\n", c.Name, c.Rate, c.P50ms, c.P95ms, c.P99ms)
	}
	fmt.Fprintf(stdout, "\nratio 2/1 (real saga vs no-op baseline): %.2f×   ratio 2/3 (traced vs tracing off): %.2f×\n", res.RealVsBaseline, res.TracedVsUntraced)
	fmt.Fprintf(stdout, "round by round: 2/1 %s   2/3 %s\n", spread(res.RealVsBaselineRounds), spread(res.TracedVsUntracedRounds))
	return nil
}

// startCPUProfile profiles the CPU into path until the returned stop is
// called; with no path it profiles nothing.
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// writeProfile writes the named runtime profile (mutex, block, heap) to path.
func writeProfile(path, name string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup(name).WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// spread renders per-round ratios as "median 0.97× (0.88–1.05×)".
func spread(ratios []float64) string {
	if len(ratios) == 0 {
		return "-"
	}
	sorted := slices.Sorted(slices.Values(ratios))
	mid := sorted[len(sorted)/2]
	if len(sorted)%2 == 0 {
		mid = (sorted[len(sorted)/2-1] + mid) / 2
	}
	return fmt.Sprintf("median %.2f× (%.2f–%.2f×)", mid, sorted[0], sorted[len(sorted)-1])
}
