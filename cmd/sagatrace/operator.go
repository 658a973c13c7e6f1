package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os/user"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/operator"
	"github.com/sagatrace/sagatrace/workflows"
)

const sagasSynopsis = `Lists sagas by status from Temporal's visibility (the SagaStatus search
attribute), each with its DTID, step, the attempts of its last hop, its age,
when it retries its compensation by itself next (the worker's
--auto-retry-every, for --auto-retry-for after it parked) and its last
error. The default, compensation_failed, is the queue of parked sagas:
each waits for an operator (sagatrace retry-compensation or
resolve-compensation) or its next automatic retry. Exit codes: 0 listed (also when none), 2 Temporal
unreachable or bad flags.`

const sagasExample = `  sagatrace sagas
  sagatrace sagas --status compensating --json | jq -r '.[].dtid'`

func runSagas(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("sagas [flags]", sagasSynopsis, sagasExample, stderr)
	status := fs.String("status", string(workflows.StatusCompensationFailed), "saga status: running, compensating, compensation_failed, completed, compensated or invalid")
	limit := fs.Int("limit", 100, "list at most this many sagas (each costs one query to its workflow)")
	asJSON := fs.Bool("json", false, "print the list as JSON, for scripts")
	tf := defineTemporalClient(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	st := workflows.Status(*status)
	if !knownStatus(st) {
		return usageError{fmt.Sprintf("--status %q is not a saga status; see `sagatrace sagas --help`", *status)}
	}
	if *limit < 1 || *limit > 1000 {
		return usageError{fmt.Sprintf("--limit must be from 1 to 1000, got %d", *limit)}
	}
	tc, err := dialForOperator(ctx, tf)
	if err != nil {
		return err
	}
	defer tc.Close()
	sagas, err := operator.List(ctx, tc, tf.namespace, st, *limit)
	if err != nil {
		return exitError{code: 2, err: err}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(sagas)
	}
	if len(sagas) == 0 {
		fmt.Fprintf(stdout, "no saga is %s\n", st)
		return nil
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "DTID\tSTEP\tATTEMPTS\tAGE\tAUTO RETRY\tLAST ERROR")
	for _, sg := range sagas {
		fmt.Fprintf(w, "%s\t%s\t%d\t%s\t%s\t%s\n", sg.DTID, sg.Step, sg.Attempts, time.Since(sg.Started).Round(time.Second), autoRetryColumn(sg), sg.LastError)
	}
	return w.Flush()
}

// autoRetryColumn says when a parked saga retries by itself next, and how
// often it did: "in 7m12s (2 done)", or "-" when it waits for a person.
func autoRetryColumn(sg operator.Saga) string {
	if sg.NextAutoRetry == nil {
		if sg.AutoRetries > 0 {
			return fmt.Sprintf("- (%d done)", sg.AutoRetries)
		}
		return "-"
	}
	return fmt.Sprintf("in %s (%d done)", max(0, time.Until(*sg.NextAutoRetry)).Round(time.Second), sg.AutoRetries)
}

func knownStatus(st workflows.Status) bool { return slices.Contains(workflows.Statuses(), st) }

const retrySynopsis = `Retries the failing compensation of parked sagas (status compensation_failed)
now, with the saga's retry-compensation Update, and prints what came of
each: compensated, or parked again. The saga refuses unless it is parked,
and records who asked (--operator, by default the OS user). A saga parked
by a build from before the updates is sent the retry-compensation signal.
Exit codes: 0 every saga acted on, 1 one or more refused or failed, 2 bad
flags or Temporal unreachable.`

const retryExample = `  sagatrace retry-compensation 0193a6f0-7c1e-7d2a-9a51-3f0c2b6d8e41
  sagatrace retry-compensation --all-parked`

func runRetryCompensation(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("retry-compensation <dtid>… | --all-parked [flags]", retrySynopsis, retryExample, stderr)
	all := fs.Bool("all-parked", false, "retry every parked saga (sagatrace sagas lists them)")
	return actOnSagas(ctx, fs, args, all, workflows.UpdateRetryCompensation, nil, stdout)
}

const resolveSynopsis = `Marks the failing compensation of a parked saga as done by hand — the
operator refunded or cancelled outside the saga — and lets the saga go on
with its next compensation, with the saga's resolve-compensation Update.
--reason is required and recorded with who acted (--operator, by default
the OS user) in the saga's state and on its trace. Exit codes: 0 resolved,
1 refused or failed, 2 bad flags or Temporal unreachable.`

const resolveExample = `  sagatrace resolve-compensation 0193a6f0-7c1e-7d2a-9a51-3f0c2b6d8e41 --reason "refunded in the processor's dashboard, ticket 4711"`

func runResolveCompensation(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("resolve-compensation <dtid>… --reason TEXT [flags]", resolveSynopsis, resolveExample, stderr)
	reason := fs.String("reason", "", "what was done outside the saga (required)")
	return actOnSagas(ctx, fs, args, nil, workflows.UpdateResolveCompensation, reason, stdout)
}

// actOnSagas sends update to each saga the arguments name (or every parked
// one), one after another, with a progress line each.
func actOnSagas(ctx context.Context, fs *flag.FlagSet, args []string, all *bool, update string, reason *string, stdout io.Writer) error {
	who := fs.String("operator", osUser(), "who acts, recorded in the saga")
	tf := defineTemporalClient(fs)
	dtids, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	allParked := all != nil && *all
	switch {
	case allParked && len(dtids) > 0:
		return usageError{"give DTIDs or --all-parked, not both"}
	case !allParked && len(dtids) == 0:
		return usageError{fmt.Sprintf("name at least one DTID; see `%s --help`", fs.Name())}
	case reason != nil && strings.TrimSpace(*reason) == "":
		return usageError{"--reason is required: say what was done outside the saga"}
	case strings.TrimSpace(*who) == "":
		return usageError{"--operator is empty and the OS user is unknown: say who acts"}
	}
	for _, d := range dtids {
		if err := ids.ValidateDTID(d); err != nil {
			return usageError{err.Error()}
		}
	}
	tc, err := dialForOperator(ctx, tf)
	if err != nil {
		return err
	}
	defer tc.Close()
	workflowIDs := make([]string, len(dtids))
	for i, d := range dtids {
		workflowIDs[i] = workflows.WorkflowID(d)
	}
	if allParked {
		parked, err := operator.List(ctx, tc, tf.namespace, workflows.StatusCompensationFailed, 1000)
		if err != nil {
			return exitError{code: 2, err: err}
		}
		for _, sg := range parked {
			workflowIDs = append(workflowIDs, sg.WorkflowID)
		}
		fmt.Fprintf(stdout, "%d parked sagas\n", len(workflowIDs))
	}
	req := workflows.OperatorRequest{Operator: *who}
	if reason != nil {
		req.Reason = *reason
	}
	var failed int
	for i, id := range workflowIDs {
		out, err := operator.Act(ctx, tc, id, update, req)
		prefix := fmt.Sprintf("[%d/%d] %s", i+1, len(workflowIDs), id)
		switch {
		case err != nil:
			failed++
			fmt.Fprintf(stdout, "%s: refused: %v\n", prefix, err)
		case out.BySignal:
			fmt.Fprintf(stdout, "%s: parked by an earlier build; sent the retry-compensation signal (see `sagatrace sagas`)\n", prefix)
		default:
			fmt.Fprintf(stdout, "%s: %s\n", prefix, out.State.Status)
		}
	}
	if failed > 0 {
		return exitError{code: 1, err: fmt.Errorf("%d of %d sagas refused or failed", failed, len(workflowIDs))}
	}
	return nil
}

// osUser is the name of the user running the CLI, "" when unknown.
func osUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return ""
}

// dialForOperator connects to Temporal for an operator command, whose
// client logs nothing: the command's output is its answer.
func dialForOperator(ctx context.Context, tf *temporalFlags) (client.Client, error) {
	opts, err := tf.options()
	if err != nil {
		return nil, err
	}
	return dialTemporal(ctx, opts, slog.New(slog.DiscardHandler))
}
