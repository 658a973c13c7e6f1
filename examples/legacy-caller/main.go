// Command legacy-caller charges a payment through sagatrace's payment API
// while tracing with jaeger-client-go, the way services that never moved to
// OpenTelemetry do. Its span and the payment service's spans land in Jaeger
// as one trace.
//
//	export SAGATRACE_TOKEN=$(go run ./cmd/sagatrace token --aud payment --scope payments:write --subject legacy-caller)
//	go run ./examples/legacy-caller --dtid legacy-1
//	curl -s http://127.0.0.1:16686/api/traces/<trace id it prints>
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"

	"github.com/sagatrace/sagatrace/examples/legacy-caller/caller"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "legacy-caller:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("legacy-caller", flag.ContinueOnError)
	var cfg caller.Config
	var ch caller.Charge
	fs.StringVar(&cfg.PaymentURL, "payment-url", "http://127.0.0.1:8081", "payment service base URL")
	fs.StringVar(&cfg.CollectorEndpoint, "collector", "http://127.0.0.1:14268/api/traces", "Jaeger collector endpoint (thrift over HTTP)")
	fs.StringVar(&cfg.ServiceName, "service", "legacy-caller", "the caller's service name in Jaeger")
	fs.StringVar(&cfg.Token, "token", os.Getenv("SAGATRACE_TOKEN"), "bearer token for the payment API, audience payment with scope payments:write (default $SAGATRACE_TOKEN)")
	fs.StringVar(&ch.DTID, "dtid", "", "business transaction ID (default: a random one)")
	fs.StringVar(&ch.CustomerID, "customer", "c-legacy", "customer ID")
	fs.Int64Var(&ch.AmountCents, "amount-cents", 500, "amount in minor units")
	fs.StringVar(&ch.Currency, "currency", "USD", "ISO 4217 currency code")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.Token == "" {
		fmt.Fprintln(os.Stderr, "legacy-caller: no --token or $SAGATRACE_TOKEN; the payment service will answer 401 unless it runs with --auth-disabled")
	}
	if ch.DTID == "" {
		ch.DTID = "legacy-" + randomHex(8)
	}
	ch.IdempotencyKey = "legacy-charge/" + ch.DTID
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	res, err := caller.ChargeOnce(ctx, cfg, ch)
	if err != nil {
		return err
	}
	fmt.Printf("DTID      %s\npayment   %s (%s)\ntrace ID  %s\n", ch.DTID, res.PaymentID, res.State, res.TraceID)
	fmt.Printf("          curl -s http://127.0.0.1:16686/api/traces/%s\n", res.TraceID)
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails since Go 1.24
	return hex.EncodeToString(b)
}
