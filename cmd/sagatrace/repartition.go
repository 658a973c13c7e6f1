package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/sagatrace/sagatrace/internal/database"
	"github.com/sagatrace/sagatrace/internal/natsauth"
	"github.com/sagatrace/sagatrace/services/scoring"
)

const repartitionSynopsis = `Changes the scoring stream's partition count: the drain and switch of
docs/scoring.md, with its preconditions checked. Stop the publishers, let the
scoring instances score everything (scoring_partition_lag 0), stop them all,
then run this; start the instances again with --partition-count N. It
refuses, changing nothing, while an instance runs, events are published, or
a partition holds events not scored yet.`

const repartitionExample = `  sagatrace repartition --partitions 32 --nats-url nats://n1:4222 --database-url postgres://…/sagatrace
  go run ./cmd/sagatrace repartition --partitions 8 --database-url .sagatrace/scoring.db`

func runRepartition(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("repartition --partitions N [flags]", repartitionSynopsis, repartitionExample, stderr)
	to := fs.Int("partitions", 0, "the new partition count (required)")
	var natsURL, seedFile string
	defineNATS(fs, &natsURL, &seedFile, natsauth.Scoring, devNATSSeed(natsauth.Scoring))
	dbURL := fs.String("database-url", "scoring.db", "the scoring database: SQLite file path, or a postgres:// URL")
	quiet := fs.Duration("quiet", 2*time.Second, "how long the stream must receive nothing before the switch (publishers stopped)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *to < 1 {
		return usageError{"repartition needs --partitions N (1 to 1024); see `sagatrace repartition --help`"}
	}
	creds, err := natsauth.Option(seedFile)
	if err != nil {
		return fmt.Errorf("--nats-nkey: %w", err)
	}
	nc, err := nats.Connect(natsURL, creds)
	if err != nil {
		return fmt.Errorf("connect to NATS at %s: %w", natsURL, err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("JetStream: %w", err)
	}
	db, err := database.Open(ctx, *dbURL)
	if err != nil {
		return fmt.Errorf("scoring database: %w", err)
	}
	defer db.Close()
	store, err := scoring.NewStore(ctx, db, noop.NewTracerProvider())
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "checking that no instance runs, nothing is published for %s and every partition is scored…\n", *quiet)
	done, err := scoring.Repartition(ctx, js, store, *to, *quiet)
	if err != nil {
		return err
	}
	if done.From == done.To {
		fmt.Fprintf(stdout, "stream %s already has %d partitions; nothing to do\n", scoring.StreamName, done.To)
		return nil
	}
	fmt.Fprintf(stdout, "stream %s: %d → %d partitions after sequence %d (every event up to it was scored)\n"+
		"start the scoring instances with --partition-count %d\n", scoring.StreamName, done.From, done.To, done.LastSequence, done.To)
	return nil
}
