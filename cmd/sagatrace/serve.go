package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/sagatrace/sagatrace/internal/component"
)

const serveSynopsis = `Runs one component against external infrastructure — how sagatrace scales
out: many workers, several scoring instances each owning some partitions.
Components: payment, order, scoring, worker.`

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fs := newFlagSet("serve <component> [flags]", serveSynopsis, serveExample, stderr)
		if err := parseFlags(fs, args); err != nil {
			return err
		}
		return usageError{"serve needs a component: payment, order, scoring or worker"}
	}
	name, args := args[0], args[1:]
	fs := newFlagSet("serve "+name+" [flags]", serveSynopsis, serveExample, stderr)
	var common component.Common
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	fs.StringVar(&common.OTLPEndpoint, "otlp-endpoint", "", "OTLP/HTTP base URL, e.g. http://jaeger:4318 (empty: OTEL_EXPORTER_OTLP_* variables)")
	fs.BoolVar(&common.FaultsEnabled, "faults", false, "honour fault plans from drills (never in production)")

	var start func() (*component.Running, error)
	switch name {
	case "payment", "order":
		listen := fs.String("listen", map[string]string{"payment": ":8081", "order": ":8082"}[name], "HTTP listen address")
		dbURL := fs.String("database-url", name+".db", "SQLite file path")
		start = func() (*component.Running, error) {
			if name == "payment" {
				return component.StartPayment(ctx, component.PaymentConfig{Common: common, Listen: *listen, DatabaseURL: *dbURL})
			}
			return component.StartOrder(ctx, component.OrderConfig{Common: common, Listen: *listen, DatabaseURL: *dbURL})
		}
	case "scoring":
		var cfg component.ScoringConfig
		fs.StringVar(&cfg.Listen, "listen", ":8083", "HTTP listen address")
		fs.StringVar(&cfg.DatabaseURL, "database-url", "scoring.db", "SQLite file path")
		fs.StringVar(&cfg.NATSURL, "nats-url", "nats://127.0.0.1:4222", "NATS server URL")
		fs.IntVar(&cfg.PartitionCount, "partition-count", 16, "N of the stream's partition(N,1) transform; the same on every instance")
		owned := fs.String("partitions", "", "partitions this instance owns, e.g. 0-7 or 0,2,4 (empty: all)")
		start = func() (*component.Running, error) {
			var err error
			if cfg.Partitions, err = parsePartitions(*owned); err != nil {
				return nil, usageError{"--partitions: " + err.Error()}
			}
			cfg.Common = common
			return component.StartScoring(ctx, cfg)
		}
	case "worker":
		var cfg component.WorkerConfig
		fs.StringVar(&cfg.TemporalAddress, "temporal-address", "127.0.0.1:7233", "Temporal frontend host:port")
		fs.StringVar(&cfg.Namespace, "namespace", "default", "Temporal namespace")
		fs.StringVar(&cfg.PaymentURL, "payment-url", "http://127.0.0.1:8081", "payment service base URL")
		fs.StringVar(&cfg.OrderURL, "order-url", "http://127.0.0.1:8082", "order service base URL")
		fs.StringVar(&cfg.NATSURL, "nats-url", "nats://127.0.0.1:4222", "NATS server URL")
		start = func() (*component.Running, error) {
			cfg.Common = common
			return component.StartWorker(ctx, cfg)
		}
	default:
		return usageError{fmt.Sprintf("unknown component %q: want payment, order, scoring or worker", name)}
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	logger, err := newLogger(stderr, *logLevel)
	if err != nil {
		return usageError{err.Error()}
	}
	common.Logger = logger
	r, err := start()
	if err != nil {
		return err
	}
	logger.Info("component started", "component", r.Name, "addr", r.Addr)
	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-r.Done():
	}
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	return errors.Join(runErr, r.Stop(stopCtx))
}

const serveExample = `  sagatrace serve payment --listen :8081 --database-url /var/lib/sagatrace/payment.db --otlp-endpoint http://jaeger:4318
  sagatrace serve worker --temporal-address temporal:7233 --payment-url http://payment:8081 --order-url http://order:8082 --nats-url nats://nats:4222
  sagatrace serve scoring --nats-url nats://nats:4222 --partitions 0-7`

// parsePartitions reads "0-7", "0,2,4" or "0-3,8-11".
func parsePartitions(s string) ([]int, error) {
	if s == "" {
		return nil, nil
	}
	var out []int
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(strings.TrimSpace(lo))
		if err != nil {
			return nil, fmt.Errorf("%q is not a partition number or range", part)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(strings.TrimSpace(hi)); err != nil || b < a {
				return nil, fmt.Errorf("%q is not a range low-high", part)
			}
		}
		for p := a; p <= b; p++ {
			out = append(out, p)
		}
	}
	return out, nil
}
