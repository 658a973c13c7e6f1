package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace/noop"

	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/jaegerquery"
	"github.com/sagatrace/sagatrace/internal/payloadcodec"
	"github.com/sagatrace/sagatrace/internal/temporalclient"
	"github.com/sagatrace/sagatrace/internal/timeline"
)

const traceSynopsis = `Prints one business transaction as one timeline: every hop attempt of the
DTID — its own trace in Jaeger, whose ID is the hop's correlation ID — in
the order they started, with its step, service, operation, offset from the
saga's start, duration, outcome (ok, retried, error) and a waterfall bar,
plus the workflow's status from Temporal and links to both. Spans reach
Jaeger a moment after they end: it waits for stragglers, at most --wait.
Exit codes: 0 shown, 1 unknown DTID, 2 Jaeger or Temporal unreachable (or bad flags).`

const traceExample = `  sagatrace trace 0193a6f0-7c1e-7d2a-9a51-3f0c2b6d8e41
  sagatrace trace my-first-saga --json | jq '.hops[] | {operation, outcome, correlation_id}'`

// temporalDialTimeout bounds the connection to Temporal: an inspection
// command should say "unreachable" quickly, not hang.
const temporalDialTimeout = 5 * time.Second

func runTrace(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("trace <dtid> [flags]", traceSynopsis, traceExample, stderr)
	asJSON := fs.Bool("json", false, "print the timeline as JSON, for scripts")
	wait := fs.Duration("wait", 5*time.Second, "how long to wait for traces still on their way to Jaeger (0: read once)")
	jaegerURL := fs.String("jaeger-url", "http://127.0.0.1:16686", "Jaeger query base URL")
	uiURL := fs.String("temporal-ui-url", "http://127.0.0.1:8233", "Temporal Web UI base URL, for links")
	logLevel := fs.String("log-level", "warn", "log level of the command's own logs (stderr): debug, info, warn or error")
	var temporalAddr, namespace string
	defineTemporal(fs, &temporalAddr, &namespace)
	codecFlag := defineCodecKeyFile(fs)
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
	logger, err := newLogger(stderr, *logLevel)
	if err != nil {
		return usageError{err.Error()}
	}
	links := timeline.Links{JaegerURL: strings.TrimRight(*jaegerURL, "/"), TemporalUIURL: strings.TrimRight(*uiURL, "/"), Namespace: namespace}

	codec, err := loadCodec(*codecFlag)
	if err != nil {
		return err
	}
	dialCtx, cancel := context.WithTimeout(ctx, temporalDialTimeout)
	defer cancel()
	// Reading a saga is not a hop of it: the command records no spans.
	tc, err := temporalclient.Dial(dialCtx, temporalclient.Options{
		Address: temporalAddr, Namespace: namespace, TracerProvider: noop.NewTracerProvider(), Logger: logger, Codec: codec,
	})
	if err != nil {
		return exitError{code: 2, err: fmt.Errorf("Temporal at %s unreachable: %w", temporalAddr, err)}
	}
	defer tc.Close()
	f := timeline.Fetcher{
		Temporal: &timeline.Temporal{Client: tc, Namespace: namespace, DataConverter: payloadcodec.DataConverter(codec)},
		Jaeger:   &jaegerquery.Client{BaseURL: links.JaegerURL, HTTP: &http.Client{Timeout: 10 * time.Second}},
		Links:    links, Logger: logger,
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
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(tl)
	}
	return timeline.WriteText(stdout, tl)
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
