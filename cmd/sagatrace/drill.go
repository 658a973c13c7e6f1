package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/sagatrace/sagatrace/internal/drill"
	"github.com/sagatrace/sagatrace/internal/natsauth"
	"github.com/sagatrace/sagatrace/internal/telemetry"
	"github.com/sagatrace/sagatrace/services/order/orderapi"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
)

// exitViolations is the exit code of a drill that found broken invariants,
// distinct from 1 (the drill could not run) for scripts and CI.
const exitViolations = 4

func drillSynopsis() string {
	var b strings.Builder
	b.WriteString(`Breaks sagas on purpose against a running stack (the dev stack by default),
then checks per DTID, against the services' own APIs and Jaeger, that nothing
was lost: net money taken equals the amount iff the order is confirmed; no
confirmed order without a payment; no charge without a confirmed order or a
refund; a completed saga scored once, a compensated one never; every hop attempt
traced; and every scenario's fault landed (a drill whose fault never hit
fails). Prints a table per scenario and each violation with its Temporal and
Jaeger links; exits 4 when an invariant is broken. The stack's services must
honour faults (sagatrace dev does; serve needs --faults). The drill reads
the services with a token minted with --auth-key (the dev stack's key by
default), and mints the expired token of token-expires-mid-retry with it.
Some scenarios run a worker process of the drill's own (--worker-bin), on a
task queue of their own, behind a proxy to the payment service or NATS.

Scenarios (--scenario NAME[,NAME…] or all):
`)
	for _, s := range drill.Scenarios() {
		fmt.Fprintf(&b, "  %-24s %s\n", s.Name, s.Summary)
	}
	return strings.TrimRight(b.String(), "\n")
}

func runDrill(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("drill [flags]", drillSynopsis(),
		"  go run ./cmd/sagatrace drill\n  go run ./cmd/sagatrace drill --scenario refund-keeps-failing,worker-killed --sagas 20 --concurrency 5", stderr)
	o := drill.Options{Progress: stderr}
	l := drill.Links{}
	scenario := fs.String("scenario", "all", "scenario to run, a comma-separated list, or all")
	fs.IntVar(&o.Sagas, "sagas", 50, "sagas per scenario")
	fs.IntVar(&o.Concurrency, "concurrency", 10, "sagas in flight at once")
	fs.DurationVar(&o.SagaTimeout, "saga-timeout", 5*time.Minute, "how long one saga may take before it counts as stuck")
	defineTemporal(fs, &o.TemporalAddress, &o.Namespace)
	urls := defineServiceURLs(fs)
	fs.StringVar(&o.ScoringURL, "scoring-url", "http://127.0.0.1:8083", "scoring service base URL")
	fs.StringVar(&o.JaegerURL, "jaeger-url", "http://127.0.0.1:16686", "Jaeger query base URL")
	fs.StringVar(&l.TemporalUI, "temporal-ui-url", "http://127.0.0.1:8233", "Temporal Web UI base URL, for links")
	defineNATS(fs, &o.NATSURL, &o.NATSSeedFile, natsauth.Worker, devNATSSeed(natsauth.Worker))
	fs.StringVar(&o.OTLPEndpoint, "otlp-endpoint", "http://127.0.0.1:4318", "OTLP/HTTP endpoint of the drill's spans and its worker's")
	fs.StringVar(&o.WorkerBinary, "worker-bin", "", "sagatrace binary that runs the drill's own worker (worker-killed, token-expires-mid-retry, scoring-unavailable, publish-ack-lost; default: this one)")
	defineClientAuth(fs, &o.Auth, devKeyFile)
	codecFlag := defineCodecKeyFile(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var err error
	if o.CodecKeyFile, err = codecKeyFile(*codecFlag); err != nil {
		return err
	}
	o.PaymentURL, o.OrderURL = *urls[paymentapi.Audience], *urls[orderapi.Audience]
	if o.WorkerBinary == "" {
		// Left "" when unknown: worker-killed then says it needs a binary.
		o.WorkerBinary, _ = os.Executable()
	}
	for name := range strings.SplitSeq(*scenario, ",") {
		o.Scenarios = append(o.Scenarios, strings.TrimSpace(name))
	}
	if err := o.Validate(); err != nil {
		return usageError{strings.ReplaceAll(err.Error(), "\n", "; ")}
	}
	// The SDK logs every worker start and retry at info; the drill's own
	// output is its progress and its table.
	o.Logger = slog.New(telemetry.NewLogHandler(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	l.Jaeger, l.Namespace = o.JaegerURL, o.Namespace

	start := time.Now()
	rep, err := drill.Run(ctx, o)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return errors.New("drill interrupted; sagas still open stay visible in Temporal")
		}
		return fmt.Errorf("drill: %w (is the stack running with faults enabled? `sagatrace dev`)", err)
	}
	fmt.Fprintf(stdout, "\nfailure drill — %d sagas per scenario, %d at a time, in %s\n", o.Sagas, o.Concurrency, time.Since(start).Round(time.Second))
	fmt.Fprintf(stdout, "machine: %d cores, %s/%s, %s\n\n", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, time.Now().UTC().Format("2006-01-02"))
	rep.Print(stdout, l)
	if n := rep.Violations(); n > 0 {
		return exitError{code: exitViolations, err: fmt.Errorf("%d invariant violations", n)}
	}
	return nil
}
