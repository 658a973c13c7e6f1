package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/sagatrace/sagatrace/internal/auth"
	"github.com/sagatrace/sagatrace/internal/drill"
	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/jaegerquery"
	"github.com/sagatrace/sagatrace/internal/payloadcodec"
	"github.com/sagatrace/sagatrace/internal/timeline"
	"github.com/sagatrace/sagatrace/internal/traceexport"
	"github.com/sagatrace/sagatrace/services/order/orderapi"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
	"github.com/sagatrace/sagatrace/services/scoring/scoringapi"
)

const traceSynopsis = `Prints one business transaction as one timeline: every hop attempt of the
DTID — its own trace in Jaeger, whose ID is the hop's correlation ID — in
the order they started, with its step, service, operation, offset from the
saga's start, duration, outcome (ok, retried, error) and a waterfall bar,
plus the workflow's status from Temporal and links to both. Spans reach
Jaeger a moment after they end: it waits for stragglers, at most --wait.
--export FILE writes every trace of the DTID (orchestration and each hop)
into one file instead: --format jaeger (default) is the JSON Jaeger's UI
opens with "JSON File", --format otlp is OTLP JSON for any collector
(curl -H 'Content-Type: application/json' --data @FILE http://collector:4318/v1/traces).
--check judges the DTID instead, with the invariants of ` + "`sagatrace drill`" + `, on
any saga: money taken iff the order is confirmed, no confirmed order unpaid,
no charge unaccounted, scored once iff completed (when its profile is its
own), every hop attempt traced and linked to its saga's RunActivity span,
every span tagged with the dtid, and the HTTP and messaging semantic
conventions on the hops. It reads Temporal, Jaeger and the services' APIs
(with a token minted from --auth-key); --wait is then how long to wait for
the saga to settle and its spans to arrive.
Exit codes: 0 shown (or every check passed), 1 unknown DTID, 2 Jaeger,
Temporal or a service unreachable (or bad flags), 4 a check failed.`

const traceExample = `  sagatrace trace 0193a6f0-7c1e-7d2a-9a51-3f0c2b6d8e41
  sagatrace trace my-first-saga --json | jq '.hops[] | {operation, outcome, correlation_id}'
  sagatrace trace my-first-saga --export my-first-saga.jaeger.json
  sagatrace trace my-first-saga --export - --format otlp > my-first-saga.otlp.json
  sagatrace trace my-first-saga --check --wait 1m`

func runTrace(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("trace <dtid> [flags]", traceSynopsis, traceExample, stderr)
	asJSON := fs.Bool("json", false, "print the timeline as JSON, for scripts")
	wait := fs.Duration("wait", 5*time.Second, "how long to wait for traces still on their way to Jaeger (0: read once)")
	jaegerURL := fs.String("jaeger-url", "http://127.0.0.1:16686", "Jaeger query base URL")
	uiURL := fs.String("temporal-ui-url", "http://127.0.0.1:8233", "Temporal Web UI base URL, for links")
	export := fs.String("export", "", "write every trace of the DTID to this file (- for stdout) instead of the timeline")
	format := fs.String("format", string(traceexport.FormatJaeger), "format of --export: jaeger (Jaeger UI's JSON file) or otlp (OTLP JSON)")
	check := fs.Bool("check", false, "check the drill's invariants on the DTID instead of showing it; exit 4 when one fails")
	scoringURL := fs.String("scoring-url", "http://127.0.0.1:8083", "scoring service base URL (--check)")
	urls := defineServiceURLs(fs)
	var clientAuth auth.ClientConfig
	defineClientAuth(fs, &clientAuth, devKeyFile)
	logLevel := fs.String("log-level", "warn", "log level of the command's own logs (stderr): debug, info, warn or error")
	tf := defineTemporalClient(fs)
	positional, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(positional) != 1 {
		return usageError{"trace needs exactly one DTID; see `sagatrace trace --help`"}
	}
	dtid := positional[0]
	if err := ids.ValidateDTID(dtid); err != nil {
		return usageError{err.Error()}
	}
	if *check && *export != "" {
		return usageError{"--check and --export do different things; run them one after the other"}
	}
	exportFormat, err := traceexport.ParseFormat(*format)
	if err != nil {
		return usageError{err.Error()}
	}
	logger, err := newLogger(stderr, *logLevel)
	if err != nil {
		return usageError{err.Error()}
	}
	links := timeline.Links{JaegerURL: strings.TrimRight(*jaegerURL, "/"), TemporalUIURL: strings.TrimRight(*uiURL, "/"), Namespace: tf.namespace}

	opts, err := tf.options()
	if err != nil {
		return err
	}
	tc, err := dialTemporal(ctx, opts, logger)
	if err != nil {
		return err
	}
	defer tc.Close()
	jc := &jaegerquery.Client{BaseURL: links.JaegerURL, HTTP: &http.Client{Timeout: 10 * time.Second}}
	if *check {
		creds, err := auth.NewCredentials(clientAuth, "sagatrace-trace")
		if err != nil {
			return usageError{fmt.Sprintf("auth: %v (give the issuer's key with --auth-key or a token with --auth-token-file)", err)}
		}
		hc := &http.Client{Timeout: 10 * time.Second}
		src := drill.DTIDSources{
			Temporal: &timeline.Temporal{Client: tc, Namespace: tf.namespace}, Jaeger: jc,
			Payments: paymentapi.NewClient(*urls[paymentapi.Audience], creds.Client(hc, paymentapi.Audience, paymentapi.ScopeRead)),
			Orders:   orderapi.NewClient(*urls[orderapi.Audience], creds.Client(hc, orderapi.Audience, orderapi.ScopeRead)),
			Scores:   scoringapi.NewClient(*scoringURL, creds.Client(hc, scoringapi.Audience, scoringapi.ScopeRead)),
		}
		return checkDTID(ctx, src, dtid, *wait, *asJSON, stdout)
	}
	f := timeline.Fetcher{
		Temporal: &timeline.Temporal{Client: tc, Namespace: tf.namespace, DataConverter: payloadcodec.DataConverter(opts.Codec)},
		Jaeger:   jc, Links: links, Logger: logger,
	}
	tl, err := f.Fetch(ctx, dtid, *wait)
	var source *timeline.SourceError
	switch {
	case errors.Is(err, timeline.ErrUnknownDTID):
		return exitError{code: 1, err: err}
	case errors.As(err, &source):
		return exitError{code: 2, err: err}
	case err != nil:
		return err
	}
	if *export != "" {
		return exportTraces(ctx, jc, tl, exportFormat, *export, stdout)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(tl)
	}
	return timeline.WriteText(stdout, tl)
}

// checkDTID prints each invariant's verdict on dtid and fails with
// exitViolations when one is broken.
func checkDTID(ctx context.Context, src drill.DTIDSources, dtid string, wait time.Duration, asJSON bool, stdout io.Writer) error {
	rep, err := drill.CheckDTID(ctx, src, dtid, wait)
	var source *timeline.SourceError
	var unreachable *jaegerquery.UnreachableError
	switch {
	case errors.Is(err, drill.ErrUnknownDTID):
		return exitError{code: 1, err: err}
	case errors.As(err, &source), errors.As(err, &unreachable):
		return exitError{code: 2, err: err}
	case err != nil:
		return exitError{code: 2, err: fmt.Errorf("check %s: %w", dtid, err)}
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else if err := drill.WriteDTIDReport(stdout, rep); err != nil {
		return err
	}
	if !rep.OK() {
		return exitError{code: exitViolations, err: fmt.Errorf("dtid %s breaks an invariant; see the FAIL lines above", dtid)}
	}
	return nil
}

// exportTraces writes every trace of tl to path ("-": stdout) and says
// what it wrote.
func exportTraces(ctx context.Context, jc *jaegerquery.Client, tl timeline.Timeline, f traceexport.Format, path string, stdout io.Writer) error {
	traceIDs := tl.TraceIDs()
	if path == "-" {
		_, err := traceexport.Write(ctx, jc, traceIDs, f, stdout)
		return exportError(err)
	}
	var buf bytes.Buffer
	st, err := traceexport.Write(ctx, jc, traceIDs, f, &buf)
	if err != nil {
		return exportError(err)
	}
	// Written whole or not at all: a half file would open as a smaller transaction.
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write the export: %w (is the directory there and writable?)", err)
	}
	_, err = fmt.Fprintf(stdout, "wrote %d traces (%d spans) of %s to %s (%s format)\n", st.Traces, st.Spans, tl.DTID, path, f)
	return err
}

func exportError(err error) error {
	var unreachable *jaegerquery.UnreachableError
	if errors.As(err, &unreachable) {
		return exitError{code: 2, err: err}
	}
	return err
}

// parseInterspersed parses flags placed before or after the positional
// arguments (`trace <dtid> --json` as well as `trace --json <dtid>`), which
// the flag package alone stops at, and returns the positional ones.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err.Error()}
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}
