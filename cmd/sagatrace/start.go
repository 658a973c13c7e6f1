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
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/sagatrace/sagatrace/activities"
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
	fs := newFlagSet("start [flags]", "Starts an OrderSaga (payment → order → scoring) on Temporal and prints its DTID,\nits workflow ID and where to look, then waits for the outcome (--wait).\n\nA --dtid that already has a saga (running or closed) is not started again and\nnothing is charged twice: start says so, naming the existing workflow and run.\n\nExit codes: 0 completed, 3 compensated, 5 a saga for this DTID already exists,\n2 bad flags or input, 1 anything else (Temporal unreachable, no outcome in --wait).",
		"  sagatrace start --customer c-1 --profile p-1 --amount 12.99\n  sagatrace start --customer c-1 --profile p-1 --amount 5 --fault order.create=error", stderr)
	var (
		in     workflows.Input
		amount string
		sku    string
		otlp   = fs.String("otlp-endpoint", "http://127.0.0.1:4318", "OTLP/HTTP endpoint for the CLI's own span (empty: OTEL_* variables)")
		wait   = fs.Duration("wait", 2*time.Minute, "how long to wait for the outcome (0: do not wait)")
		l      links
		tf     = defineTemporalClient(fs)
	)
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
	opts, err := tf.options()
	if err != nil {
		return err
	}
	return startSaga(ctx, in, opts, *otlp, *wait, l, stdout)
}

// startSaga starts the saga on the Temporal that to locates (address,
// namespace, TLS, payload codec), traced as the root of its orchestration
// trace.
func startSaga(ctx context.Context, in workflows.Input, to temporalclient.Options, otlp string, wait time.Duration, l links, stdout io.Writer) error {
	namespace := to.Namespace
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

	to.TracerProvider, to.Logger = tp, logger
	c, err := temporalclient.Dial(ctx, to)
	if err != nil {
		return err
	}
	defer c.Close()

	wfID := workflows.WorkflowID(in.DTID)
	// A saga started through the Temporal CLI with the DTID as its
	// workflow ID also owns it; Temporal's ID uniqueness cannot see that
	// one, visibility can (it lags a started workflow by moments).
	if other, runID, err := activities.FindSaga(ctx, c, namespace, in.DTID, ""); err != nil {
		return err
	} else if other != "" {
		return exitError{code: exitDuplicate, err: duplicateStart(in.DTID, other, runID)}
	}
	run, err := c.ExecuteWorkflow(ctx, startOptions(in.DTID), workflows.WorkflowType, in)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		return exitError{code: exitDuplicate, err: duplicateStart(in.DTID, wfID, started.RunId)}
	} else if err != nil {
		return fmt.Errorf("start saga %s: %w", wfID, err)
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

// exitDuplicate is the exit code of a start whose DTID already has a saga,
// distinct from 0 and 3 so that a script never takes the old saga's
// outcome for the new one's.
const exitDuplicate = 5

// startOptions are the saga's start options (workflows.StartOptions) made
// to fail on a duplicate. The SDK's defaults hide one: with the saga's
// conflict policy UseExisting the server answers a running workflow with
// its run, and without WorkflowExecutionErrorWhenAlreadyStarted the SDK
// answers a closed one (refused by RejectDuplicate) with its last run —
// either way a run the CLI would wait on and print as if it were new.
// With Fail and the error asked for, both come back as
// *serviceerror.WorkflowExecutionAlreadyStarted. Nothing is charged twice
// either way; this only makes the answer honest.
func startOptions(dtid string) client.StartWorkflowOptions {
	opts := workflows.StartOptions(dtid, workflows.TaskQueue)
	opts.WorkflowIDConflictPolicy = enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL
	opts.WorkflowExecutionErrorWhenAlreadyStarted = true
	return opts
}

// duplicateStart says that dtid's saga exists (running or closed), that
// this start's input was not used, and how to see the saga that was.
func duplicateStart(dtid, wfID, runID string) error {
	return fmt.Errorf("a saga for DTID %s already exists (workflow ID %s, run ID %s); it was not started again "+
		"and this start's input was not used. See it with `sagatrace trace %s` or "+
		"`temporal workflow show -w %s`; start a new saga with another --dtid (or none)", dtid, wfID, runID, dtid, wfID)
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
