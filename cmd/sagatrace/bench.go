package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/sagatrace/sagatrace/internal/bench"
	"github.com/sagatrace/sagatrace/internal/devstack"
)

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "saga" {
		return runBenchSaga(ctx, args[1:], stdout, stderr)
	}
	if len(args) == 0 || args[0] != "scoring" {
		fs := newFlagSet("bench scoring|saga [flags]", benchSynopsis, benchExample, stderr)
		if err := parseFlags(fs, args); err != nil {
			return err
		}
		return usageError{"bench needs a benchmark: scoring or saga"}
	}
	fs := newFlagSet("bench scoring [flags]", benchSynopsis, benchExample, stderr)
	o := bench.ScoringOptions{Progress: stderr}
	fs.IntVar(&o.Events, "events", 500_000, "events (and natscli messages) per round")
	fs.IntVar(&o.Profiles, "profiles", 10_000, "distinct profiles the events are spread over")
	fs.BoolVar(&o.Zipf, "zipf", false, "Zipf-skewed profiles (s=1.1) instead of uniform")
	fs.IntVar(&o.Partitions, "partitions", 16, "stream partitions, one shard each")
	fs.IntVar(&o.Rounds, "rounds", 3, "rounds of baseline and engine, alternated; medians are reported")
	fs.StringVar(&o.DatabaseURL, "database-url", "", "the engine's database: a postgres:// URL (its scores are deleted before each round); empty: a SQLite file per round")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	sweep := fs.Bool("sweep", false, "one round per combination of 1, 4, 16, 64 partitions and 1k, 100k, 1M profiles, uniform and Zipf; prints a table and writes --sweep-svg")
	sweepSVG := fs.String("sweep-svg", "scoring-sweep.svg", "`file` the sweep's plot is written to")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file (go tool pprof)")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if o.Events < 1000 || o.Profiles < 1 || o.Partitions < 1 || o.Rounds < 1 {
		return usageError{"--events must be at least 1000, --profiles, --partitions and --rounds at least 1"}
	}
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	root, err := devstack.FindRepoRoot(wd)
	if err != nil {
		return fmt.Errorf("%w; run the benchmark from the sagatrace repository (it needs natscli from tools/go.mod)", err)
	}
	tools, err := devstack.BuildTools(ctx, root, stderr)
	if err != nil {
		return err
	}
	o.NATSBinary = tools.NATS
	if o.WorkDir, err = os.MkdirTemp("", "sagatrace-bench-"); err != nil {
		return err
	}
	defer os.RemoveAll(o.WorkDir)
	stopProfile, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return fmt.Errorf("--cpuprofile: %w", err)
	}
	defer stopProfile()
	if *sweep {
		return runScoringSweep(ctx, o, *sweepSVG, stdout)
	}
	res, err := bench.RunScoring(ctx, o)
	if err != nil {
		return fmt.Errorf("bench scoring: %w", err)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	keys := "uniform"
	if o.Zipf {
		keys = "zipf s=1.1"
	}
	fmt.Fprintf(stdout, "\nscoring end to end — %d events of 128 B per round, %d profiles (%s), %d partitions, median of %d rounds\n",
		o.Events, o.Profiles, keys, o.Partitions, o.Rounds)
	fmt.Fprintf(stdout, "machine: %d cores (GOMAXPROCS %d), %s/%s, %s\n\n", runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH, time.Now().UTC().Format("2006-01-02"))
	fmt.Fprintf(stdout, "| %-66s | %12s |\n", "consumer", "msgs/s")
	fmt.Fprintf(stdout, "|%s|%s|\n", dashes(68), dashes(14))
	store := "SQLite"
	if o.DatabaseURL != "" {
		store = "PostgreSQL"
	}
	fmt.Fprintf(stdout, "| %-66s | %12.0f |\n", "nats bench js consume (durable, ack per message)", res.BaselineRate)
	fmt.Fprintf(stdout, "| %-66s | %12.0f |\n", "ordered consumers, one per partition (read only, no acks)", res.OrderedRate)
	fmt.Fprintf(stdout, "| %-66s | %12.0f |\n", "sagatrace scoring (stream → committed batches in "+store+")", res.Engine)
	fmt.Fprintf(stdout, "\nengine / js consume: %.2f×   engine / ordered: %.2f×   write amplification: %.4f rows per event\n",
		res.Ratio, res.RatioOrdered, res.RowsPerEvent)
	return nil
}

// runScoringSweep runs and prints the sweep and writes its plot.
func runScoringSweep(ctx context.Context, o bench.ScoringOptions, svgPath string, stdout io.Writer) error {
	points, err := bench.SweepScoring(ctx, o, []int{1, 4, 16, 64}, []int{1_000, 100_000, 1_000_000})
	if err != nil {
		return fmt.Errorf("bench scoring --sweep: %w", err)
	}
	machine := fmt.Sprintf("%d cores, %s/%s, %s", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, time.Now().UTC().Format("2006-01-02"))
	fmt.Fprintf(stdout, "\nscoring sweep — %d events of 128 B per point, one round each; %s\n\n", o.Events, machine)
	fmt.Fprintf(stdout, "| keys | profiles | partitions | js consume | ordered | engine | engine/js | engine/ordered | rows/event |\n")
	fmt.Fprintf(stdout, "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, p := range points {
		keys := "uniform"
		if p.Zipf {
			keys = "zipf"
		}
		fmt.Fprintf(stdout, "| %s | %d | %d | %.0f | %.0f | %.0f | %.2f× | %.2f× | %.3f |\n",
			keys, p.Profiles, p.Partitions, p.JSConsume, p.Ordered, p.Engine, p.Engine/p.JSConsume, p.Engine/p.Ordered, p.RowsPerEvent)
	}
	f, err := os.Create(svgPath)
	if err != nil {
		return fmt.Errorf("--sweep-svg: %w", err)
	}
	defer f.Close()
	title := fmt.Sprintf("sagatrace scoring, %d events per point, SQLite; %s", o.Events, machine)
	if o.DatabaseURL != "" {
		title = strings.Replace(title, "SQLite", "PostgreSQL", 1)
	}
	if err := bench.WriteSweepSVG(f, points, title); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nplot: %s\n", svgPath)
	return f.Close()
}

func dashes(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = '-'
	}
	return string(b)
}

const benchSynopsis = `Benchmarks against a baseline measured in the same run on the same server.
saga: see 'sagatrace bench saga --help'.
scoring: drains a backlog from JetStream with 'nats bench js consume' (durable
consumer, one ack per message), with one ordered consumer per partition that
only reads (the ceiling of reading the stream), and with the scoring engine
(one shard per partition, batched commits to SQLite or --database-url), on an
in-process NATS server; prints the three rates and the engine's ratios.`

const benchExample = `  go run ./cmd/sagatrace bench scoring
  go run ./cmd/sagatrace bench saga --sagas 1000 --concurrency 100
  go run ./cmd/sagatrace bench scoring --events 200000 --zipf --rounds 5`
