package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/money"
	"github.com/sagatrace/sagatrace/internal/telemetry"
	"github.com/sagatrace/sagatrace/internal/temporalclient"
	"github.com/sagatrace/sagatrace/workflows"
)

// links are the base URLs printed for the operator to follow.
type links struct {
	temporalUI, jaeger, payment, order string
}

func (l *links) register(fs *flag.FlagSet) {
	fs.StringVar(&l.temporalUI, "temporal-ui-url", "http://127.0.0.1:8233", "Temporal Web UI base URL, for links")
	fs.StringVar(&l.jaeger, "jaeger-url", "http://127.0.0.1:16686", "Jaeger query base URL, for links")
	fs.StringVar(&l.payment, "payment-url", "http://127.0.0.1:8081", "payment service base URL, for links")
	fs.StringVar(&l.order, "order-url", "http://127.0.0.1:8082", "order service base URL, for links")
}

func runStart(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("start [flags]", "Starts an OrderSaga (payment → order → scoring) on Temporal and prints its DTID,\nits workflow ID and where to look. Starting the same --dtid again never charges twice.",
		"  sagatrace start --customer c-1 --profile p-1 --amount 12.99\n  sagatrace start --customer c-1 --profile p-1 --amount 5 --fault order.create=error", stderr)
	var (
		in        workflows.Input
		amount    string
		sku       string
		otlp      = fs.String("otlp-endpoint", "http://127.0.0.1:4318", "OTLP/HTTP endpoint for the CLI's own span (empty: OTEL_* variables)")
		wait      = fs.Duration("wait", 2*time.Minute, "how long to wait for the outcome (0: do not wait)")
		l         links
		temporalA string
		namespace string
	)
	defineTemporal(fs, &temporalA, &namespace)
	fs.StringVar(&in.DTID, "dtid", "", "business transaction ID (default: a new UUIDv7)")
	fs.StringVar(&in.CustomerID, "customer", "", "customer ID (required)")
	fs.StringVar(&in.ProfileID, "profile", "", "scoring profile ID (required)")
	fs.StringVar(&amount, "amount", "", "amount in major units of --currency, digits and at most the currency's decimals: 12.99 USD, 1299 JPY, 1.299 BHD (required)")
	fs.StringVar(&in.Currency, "currency", "USD", "ISO 4217 currency code, one of "+money.Currencies)
	fs.StringVar(&sku, "sku", "sku-1", "SKU of the single order line")
	fs.StringVar(&in.CardToken, "card-token", "", "the card processor's token for the card, e.g. tok_visa_4242 (never a card number)")
	fs.StringVar(&in.CardLast4, "card-last4", "", "the card's last four digits, with --card-token")
	fs.Func("fault", "inject a fault, operation=kind (repeatable), e.g. order.create=error", func(v string) error {
		op, kind, ok := strings.Cut(v, "=")
		if !ok || op == "" || kind == "" {
			return fmt.Errorf("want operation=kind, e.g. order.create=error, got %q", v)
		}
		if in.Faults == nil {
			in.Faults = map[string]string{}
		}
		in.Faults[op] = kind
		return nil
	})
	l.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	// The currency first: it decides how many decimals --amount may have.
	if problem := money.CheckCurrency(in.Currency); problem != "" {
		return usageError{"--currency: " + problem}
	}
	cents, err := money.ParseAmount(in.Currency, amount)
	if err != nil {
		return usageError{"--amount: " + err.Error()}
	}
	in.AmountCents = cents
	in.Items = []workflows.Item{{SKU: sku, Qty: 1, PriceCents: cents}}
	if in.DTID == "" {
		in.DTID = ids.NewDTID()
	}
	if err := in.Validate(in.DTID); err != nil {
		return usageError{"invalid saga: " + strings.ReplaceAll(err.Error(), "\n", "; ")}
	}
	return startSaga(ctx, in, temporalA, namespace, *otlp, *wait, l, stdout)
}

func startSaga(ctx context.Context, in workflows.Input, address, namespace, otlp string, wait time.Duration, l links, stdout io.Writer) error {
	logger := slog.New(telemetry.NewLogHandler(slog.NewTextHandler(io.Discard, nil)))
	tp, err := telemetry.NewTracerProvider(ctx, telemetry.Config{ServiceName: "sagatrace-cli", OTLPEndpoint: otlp})
	if err != nil {
		return err
	}
	defer telemetry.Shutdown(tp, 5*time.Second)

	// The CLI's span is the root of the orchestration trace; the DTID rides
	// in baggage so that every span the Temporal interceptor starts carries it.
	ctx, err = temporalclient.WithDTIDBaggage(ctx, in.DTID)
	if err != nil {
		return err
	}
	ctx, span := tp.Tracer("github.com/sagatrace/sagatrace/cmd/sagatrace").Start(ctx, "sagatrace start",
		trace.WithAttributes(attribute.String(ids.AttrDTID, in.DTID)))
	defer span.End()

	c, err := temporalclient.Dial(ctx, temporalclient.Options{Address: address, Namespace: namespace, TracerProvider: tp, Logger: logger})
	if err != nil {
		return err
	}
	defer c.Close()

	wfID := workflows.WorkflowID(in.DTID)
	run, err := c.ExecuteWorkflow(ctx, workflows.StartOptions(in.DTID, workflows.TaskQueue), workflows.WorkflowType, in)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		fmt.Fprintf(stdout, "A saga for DTID %s already ran; it is not started again.\n", in.DTID)
		run = c.GetWorkflow(ctx, wfID, "")
	} else if err != nil {
		return fmt.Errorf("start saga: %w", err)
	}
	printStarted(stdout, in.DTID, wfID, run.GetRunID(), namespace, l)
	if wait == 0 {
		return nil
	}
	waitCtx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	var res workflows.Result
	err = run.Get(waitCtx, &res)
	return printOutcome(stdout, res, err)
}

func printStarted(w io.Writer, dtid, wfID, runID, namespace string, l links) {
	tags := url.QueryEscape(fmt.Sprintf(`{"dtid":%q}`, dtid))
	fmt.Fprintf(w, "DTID         %s\nworkflow ID  %s\nrun ID       %s\n\nWhere to look:\n", dtid, wfID, runID)
	fmt.Fprintf(w, "  Temporal UI   %s/namespaces/%s/workflows/%s\n", l.temporalUI, namespace, wfID)
	fmt.Fprintf(w, "  Jaeger        %s/api/traces?service=payment&tags=%s  (also order, scoring, saga-worker)\n", l.jaeger, tags)
	fmt.Fprintf(w, "  payments      %s/v1/payments?dtid=%s\n", l.payment, dtid)
	fmt.Fprintf(w, "  orders        %s/v1/orders?dtid=%s\n", l.order, dtid)
	fmt.Fprintln(w, `                (with a bearer token: curl -H "Authorization: Bearer $(sagatrace token --aud payment,order --scope payments:read,orders:read)" …)`)
	fmt.Fprintf(w, "  Temporal CLI  go tool -modfile=tools/go.mod temporal workflow list --query 'DTID=\"%s\"'\n", dtid)
}

func printOutcome(w io.Writer, res workflows.Result, err error) error {
	var app *temporal.ApplicationError
	if err != nil && errors.As(err, &app) && app.Type() == workflows.ErrTypeCompensated {
		if derr := app.Details(&res); derr != nil {
			return fmt.Errorf("saga compensated, but its result could not be read: %w", derr)
		}
		err = nil
	}
	if err != nil {
		return fmt.Errorf("saga did not complete: %w", err)
	}
	fmt.Fprintf(w, "\nOutcome: %s\n", res.Status)
	for _, h := range res.Hops {
		kind := "step"
		if h.Compensation {
			kind = "compensation"
		}
		fmt.Fprintf(w, "  %-12s %-16s %-6s correlation_id=%s %s\n", kind, h.Operation, h.Outcome, h.CorrelationID, h.Error)
	}
	if res.Status != workflows.StatusCompleted {
		// A distinct exit code lets scripts tell "compensated" from "broken".
		return exitError{code: 3, err: fmt.Errorf("saga %s ended %s: %s", res.DTID, res.Status, res.Error)}
	}
	return nil
}
