package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/sagatrace/sagatrace/internal/component"
)

const serveSynopsis = `Runs one component against external infrastructure — how sagatrace scales
out: many workers, several scoring instances each owning some partitions.
Components: payment, order, scoring, worker, console, codec (the payload codec
server the Temporal UI and CLI decode saga payloads with). Every flag can also be set by an
environment variable: --nats-url is SAGATRACE_NATS_URL (the command line wins).`

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	name, args, err := subcommand(newFlagSet("serve <component> [flags]", serveSynopsis, serveExample, stderr), args,
		"serve needs a component: payment, order, scoring, worker, console or codec")
	if err != nil {
		return err
	}
	synopsis, example := serveSynopsis, serveExample
	if name == "console" {
		synopsis, example = consoleSynopsis, consoleExample
	}
	fs := newFlagSet("serve "+name+" [flags]", synopsis, example, stderr)
	spec, err := defineServe(ctx, fs, name)
	if err != nil {
		return err
	}
	// 12-factor: every flag can come from the environment (for containers);
	// a flag on the command line still wins, because it is parsed after.
	if err := applyEnv(fs, os.LookupEnv); err != nil {
		return usageError{err.Error()}
	}
	logLevel, common, start := spec.logLevel, spec.common, spec.start
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	logger, err := newLogger(stderr, *logLevel)
	if err != nil {
		return usageError{err.Error()}
	}
	common.Logger = logger
	r, err := start()
	if ce := (*component.ConfigError)(nil); errors.As(err, &ce) {
		// Every problem on one line, exit 2: the flags are at fault.
		return usageError{strings.ReplaceAll(ce.Error(), "\n", "; ")}
	}
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

const serveExample = `  sagatrace keygen --private-key /keys/issuer.key --public-key /keys/issuer.pub
  sagatrace nats-keys --dir /keys --users /etc/nats/users/users.conf
  sagatrace serve payment --listen :8081 --database-url /var/lib/sagatrace/payment.db --otlp-endpoint http://jaeger:4318 --auth-public-key /keys/issuer.pub
  sagatrace token --key /keys/issuer.key --aud payment --scope payments:read --subject order --out /tokens/payment.token --renew
  sagatrace serve order --listen :8082 --database-url /var/lib/sagatrace/order.db --auth-public-key /keys/issuer.pub --payment-url http://payment:8081 --payment-token-file /tokens/payment.token
  sagatrace serve worker --temporal-address temporal:7233 --payment-url http://payment:8081 --order-url http://order:8082 --nats-url nats://nats:4222 --nats-nkey /keys/worker.nk --auth-key /keys/issuer.key --codec-key-file /keys/codec.json
  sagatrace serve scoring --nats-url nats://nats:4222 --nats-nkey /keys/scoring.nk --partitions 0-7 --auth-public-key /keys/issuer.pub
  sagatrace codec-key rotate --key-file /keys/codec.json
  sagatrace serve codec --listen :8084 --codec-key-file /keys/codec.json --auth-public-key /keys/issuer.pub --ui-origin https://temporal.example.com`

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
