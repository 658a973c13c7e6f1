// Package bench measures sagatrace against baselines run in the same
// process, on the same servers, in the same run — these machines are shared
// and noisy, so only ratios measured side by side mean anything.
package bench

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/sagatrace/sagatrace/internal/database"
	"github.com/sagatrace/sagatrace/internal/devstack"
	"github.com/sagatrace/sagatrace/internal/telemetry"
	"github.com/sagatrace/sagatrace/services/scoring"
	"github.com/sagatrace/sagatrace/services/scoring/scoringapi"
)

// ScoringOptions shape the end-to-end scoring benchmark.
type ScoringOptions struct {
	Events     int    // events per round
	Profiles   int    // distinct profiles
	Zipf       bool   // Zipf-skewed keys instead of uniform
	Partitions int    // N of partition(N,1)
	Rounds     int    // rounds of baseline and engine, alternated; the median counts
	NATSBinary string // natscli, for the baseline
	WorkDir    string // NATS store and SQLite files
	// DatabaseURL, when set (postgres://…), is the engine's database
	// instead of a SQLite file per round; its scores are deleted before
	// each round.
	DatabaseURL string
	Progress    io.Writer
}

// ScoringRound is one measured round.
type ScoringRound struct {
	BaselineRate float64 // nats bench js consume, msgs/s
	// OrderedRate is the same backlog the engine drains, read with one
	// ordered consumer per partition and nothing done with the messages:
	// the ceiling of reading the stream, msgs/s.
	OrderedRate float64
	EngineRate  float64 // publish-to-committed-flush drain, events/s
	Rows        int64   // rows the engine wrote
}

// ScoringResult is every round and the medians.
type ScoringResult struct {
	Options              ScoringOptions
	Rounds               []ScoringRound
	BaselineRate, Engine float64 // medians
	OrderedRate          float64 // median
	Ratio                float64 // Engine / BaselineRate
	RatioOrdered         float64 // Engine / OrderedRate
	RowsPerEvent         float64 // write amplification of the engine
}

// RunScoring starts an in-process NATS server with JetStream and, for each
// round, drains a backlog of Events 128-byte messages three times: with
// `nats bench js consume` (durable consumer, one ack per message), with one
// ordered consumer per partition that only reads (no acks, nothing
// stored: the ceiling of reading the stream), and with the scoring engine
// (ordered consumers, shards, batched commits to the database).
func RunScoring(ctx context.Context, o ScoringOptions) (ScoringResult, error) {
	res := ScoringResult{Options: o}
	srv, err := devstack.StartNATS(ctx, devstack.NATSOptions{StoreDir: filepath.Join(o.WorkDir, "nats")})
	if err != nil {
		return res, err
	}
	defer srv.Shutdown()
	for i := range o.Rounds {
		fmt.Fprintf(o.Progress, "round %d/%d: nats bench js consume, %d messages…\n", i+1, o.Rounds, o.Events)
		base, err := natsBenchConsume(ctx, o, srv.ClientURL(), i)
		if err != nil {
			return res, err
		}
		fmt.Fprintf(o.Progress, "round %d/%d: scoring engine, %d events over %d partitions…\n", i+1, o.Rounds, o.Events, o.Partitions)
		r, err := drainWithEngine(ctx, o, srv.ClientURL(), i)
		if err != nil {
			return res, err
		}
		r.BaselineRate = base
		fmt.Fprintf(o.Progress, "round %d/%d: js consume %.0f msgs/s, ordered %.0f msgs/s, engine %.0f events/s\n", i+1, o.Rounds, base, r.OrderedRate, r.EngineRate)
		res.Rounds = append(res.Rounds, r)
	}
	res.BaselineRate = median(res.Rounds, func(r ScoringRound) float64 { return r.BaselineRate })
	res.Engine = median(res.Rounds, func(r ScoringRound) float64 { return r.EngineRate })
	res.OrderedRate = median(res.Rounds, func(r ScoringRound) float64 { return r.OrderedRate })
	res.Ratio = res.Engine / res.BaselineRate
	res.RatioOrdered = res.Engine / res.OrderedRate
	var rows, events int64
	for _, r := range res.Rounds {
		rows += r.Rows
		events += int64(o.Events)
	}
	res.RowsPerEvent = float64(rows) / float64(events)
	return res, nil
}

// natsBenchConsume fills a stream with natscli's own publisher, then runs
// its durable-consumer benchmark and reads msgs/s from its CSV.
func natsBenchConsume(ctx context.Context, o ScoringOptions, url string, round int) (float64, error) {
	stream := fmt.Sprintf("benchstream%d", round)
	msgs := strconv.Itoa(o.Events)
	if out, err := exec.CommandContext(ctx, o.NATSBinary, "-s", url, "bench", "js", "pub", "async", "benchsubject"+strconv.Itoa(round),
		"--create", "--stream", stream, "--msgs", msgs, "--size", "128", "--no-progress").CombinedOutput(); err != nil {
		return 0, fmt.Errorf("nats bench js pub: %w\n%s", err, out)
	}
	csvPath := filepath.Join(o.WorkDir, fmt.Sprintf("consume-%d.csv", round))
	if out, err := exec.CommandContext(ctx, o.NATSBinary, "-s", url, "bench", "js", "consume", "--stream", stream,
		"--msgs", msgs, "--no-progress", "--csv", csvPath).CombinedOutput(); err != nil {
		return 0, fmt.Errorf("nats bench js consume: %w\n%s", err, out)
	}
	return readMsgsPerSec(csvPath)
}

func readMsgsPerSec(path string) (float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("nats bench csv: %w", err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) < 2 {
		return 0, fmt.Errorf("nats bench csv %s: no data row (%v)", path, err)
	}
	col := slices.Index(rows[0], "MsgsPerSec")
	if col < 0 {
		return 0, fmt.Errorf("nats bench csv %s: no MsgsPerSec column in %v", path, rows[0])
	}
	return strconv.ParseFloat(rows[1][col], 64)
}

// drainWithEngine publishes the backlog to a fresh scoring stream, then
// times the engine from start until every event is committed.
func drainWithEngine(ctx context.Context, o ScoringOptions, url string, round int) (ScoringRound, error) {
	nc, err := nats.Connect(url)
	if err != nil {
		return ScoringRound{}, err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return ScoringRound{}, err
	}
	_ = js.DeleteStream(ctx, scoring.StreamName) // a fresh stream per round
	if err := scoring.EnsureStreams(ctx, js, scoring.StreamConfig{Partitions: o.Partitions, MaxBytes: -1}, slog.New(slog.DiscardHandler)); err != nil {
		return ScoringRound{}, err
	}
	if err := publishBacklog(ctx, js, o, uint64(round)); err != nil {
		return ScoringRound{}, err
	}
	fmt.Fprintf(o.Progress, "  ordered consumers, one per partition, reading the same backlog…\n")
	ordered, err := readWithOrderedConsumers(ctx, js, o)
	if err != nil {
		return ScoringRound{}, err
	}
	dbURL := o.DatabaseURL
	if dbURL == "" {
		dbURL = scoring.DatabaseURL(filepath.Join(o.WorkDir, fmt.Sprintf("scoring-%d.db", round)))
	}
	db, err := database.Open(ctx, dbURL)
	if err != nil {
		return ScoringRound{}, err
	}
	defer db.Close()
	store, err := scoring.NewStore(ctx, db, noop.NewTracerProvider())
	if err != nil {
		return ScoringRound{}, err
	}
	if o.DatabaseURL != "" { // one database for every round: start each empty
		for _, table := range []string{"scores", "scoring_offsets", "scoring_poison"} {
			if _, err := db.ExecContext(ctx, "DELETE FROM "+table); err != nil {
				return ScoringRound{}, fmt.Errorf("empty %s: %w", table, err)
			}
		}
	}
	c, err := scoring.NewConsumer(js, store, scoring.ConsumerConfig{PartitionCount: o.Partitions},
		noop.NewTracerProvider(), telemetry.Propagator(), slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	if err != nil {
		return ScoringRound{}, err
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- c.Run(runCtx) }()
	defer func() { stop(); <-done }()
	lastReport, lastProgress, lastEvents := start, start, int64(0)
	for {
		events, rows := c.CommittedTotals()
		if events != lastEvents {
			lastProgress, lastEvents = time.Now(), events
		} else if time.Since(lastProgress) > time.Minute {
			return ScoringRound{}, fmt.Errorf("the engine committed nothing for a minute, at %d of %d events", events, o.Events)
		}
		if time.Since(lastReport) >= 500*time.Millisecond {
			fmt.Fprintf(o.Progress, "  %6.1fs committed %d/%d events\n", time.Since(start).Seconds(), events, o.Events)
			lastReport = time.Now()
		}
		if events >= int64(o.Events) {
			elapsed := time.Since(start)
			return ScoringRound{EngineRate: float64(o.Events) / elapsed.Seconds(), OrderedRate: ordered, Rows: rows}, nil
		}
		select {
		case err := <-done:
			return ScoringRound{}, fmt.Errorf("scoring engine stopped: %w", err)
		case <-ctx.Done():
			return ScoringRound{}, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// readWithOrderedConsumers reads the scoring stream's backlog with one
// ordered consumer per partition, in parallel, as the engine reads it but
// doing nothing with the messages and committing nothing: the honest
// ceiling of the engine's read path. It returns messages/s.
func readWithOrderedConsumers(ctx context.Context, js jetstream.JetStream, o ScoringOptions) (float64, error) {
	start := time.Now()
	var read atomic.Int64
	gctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, o.Partitions)
	for p := range o.Partitions {
		wg.Go(func() {
			if err := readPartition(gctx, js, p, &read, int64(o.Events)); err != nil {
				errs <- err
				cancel()
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return 0, err
	}
	return float64(o.Events) / time.Since(start).Seconds(), nil
}

// readPartition reads partition p until read reaches total.
func readPartition(ctx context.Context, js jetstream.JetStream, p int, read *atomic.Int64, total int64) error {
	cons, err := js.OrderedConsumer(ctx, scoring.StreamName, jetstream.OrderedConsumerConfig{FilterSubjects: []string{scoring.PartitionSubject(p)}})
	if err != nil {
		return fmt.Errorf("ordered consumer of partition %d: %w", p, err)
	}
	msgs, err := cons.Messages(jetstream.PullMaxMessages(1024))
	if err != nil {
		return fmt.Errorf("ordered consumer of partition %d: %w", p, err)
	}
	defer msgs.Stop()
	// Short waits: a partition that is done must notice when the others
	// have read the rest.
	for read.Load() < total {
		waitCtx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		_, err := msgs.Next(jetstream.NextContext(waitCtx))
		cancel()
		if err == nil {
			read.Add(1)
		} else if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return nil
}

// publishBacklog publishes o.Events events of 128 bytes, like natscli's.
func publishBacklog(ctx context.Context, js jetstream.JetStream, o ScoringOptions, seed uint64) error {
	keys := keyGen(o, seed)
	for i := range o.Events {
		profile := keys()
		// A saga-shaped event (event_id, dtid), its kind padded so that every
		// message is 128 bytes, the size natscli's benchmark uses.
		body := fmt.Sprintf(`{"event_id":"%036d","dtid":"%036d","profile_id":%q,"kind":"like","delta":1}`, i, i, profile)
		body = strings.Replace(body, `"like"`, `"like`+strings.Repeat("s", max(0, 128-len(body)))+`"`, 1)
		if _, err := js.PublishAsync(scoringapi.Subject(profile), []byte(body)); err != nil {
			return fmt.Errorf("publish backlog: %w", err)
		}
		if i%50_000 == 0 {
			select { // keep the number of unacknowledged publishes bounded
			case <-js.PublishAsyncComplete():
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	select {
	case <-js.PublishAsyncComplete():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// keyGen returns a generator of profile IDs, uniform or Zipf-skewed.
func keyGen(o ScoringOptions, seed uint64) func() string {
	rng := rand.New(rand.NewPCG(seed, 42))
	if o.Zipf {
		z := rand.NewZipf(rng, 1.1, 1, uint64(o.Profiles-1))
		return func() string { return "p-" + strconv.FormatUint(z.Uint64(), 10) }
	}
	return func() string { return "p-" + strconv.Itoa(rng.IntN(o.Profiles)) }
}

func median(rounds []ScoringRound, f func(ScoringRound) float64) float64 {
	v := make([]float64, len(rounds))
	for i, r := range rounds {
		v[i] = f(r)
	}
	slices.Sort(v)
	return v[len(v)/2]
}
