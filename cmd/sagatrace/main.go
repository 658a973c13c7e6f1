// Command sagatrace runs and inspects sagas on Temporal whose every hop is
// its own trace in Jaeger, tied together by one DTID.
//
//	sagatrace dev                      # the whole stack on this machine
//	sagatrace start --customer c-1 --profile p-1 --amount 12.99
//	sagatrace serve worker --temporal-address temporal:7233 …
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"dev", "run the whole stack on this machine: NATS, Temporal, Jaeger and every service", runDev},
		{"serve", "run one component (payment, order, scoring, worker, console) against external infrastructure", runServe},
		{"start", "start a saga and print its DTID and where to look", runStart},
		{"trace", "show every hop of one transaction (DTID) as one timeline, from Jaeger and Temporal", runTrace},
		{"sagas", "list sagas by status: the queue of parked sagas (compensation_failed) by default", runSagas},
		{"retry-compensation", "retry the failing compensation of parked sagas now (one, several, or --all-parked)", runRetryCompensation},
		{"resolve-compensation", "mark a parked saga's compensation as done by hand, with a reason", runResolveCompensation},
		{"deployment", "show or set which build of the saga worker gets the sagas (rolling upgrades)", runDeployment},
		{"bench", "measure against a baseline in the same run: bench scoring, bench saga", runBench},
		{"drill", "break sagas on purpose and check that every one completed or was fully compensated", runDrill},
		{"repartition", "change the scoring stream's partition count, once every partition is scored and the instances are stopped", runRepartition},
		{"token", "print a bearer token for the service APIs (curl -H \"Authorization: Bearer $(sagatrace token …)\")", runToken},
		{"codec-key", "make, rotate or list the keys that encrypt saga payloads in Temporal", runCodecKey},
		{"keygen", "make the token issuer's Ed25519 key pair (services get the public key, token issuers the private one)", runKeygen},
		{"nats-keys", "make the nkey seeds of the NATS users (worker, scoring, operator) and the server's users file", runNATSKeys},
		{"certs", "make the CA and certificates of Temporal's mutual TLS (frontend, worker, console, CLI)", runCerts},
		{"healthcheck", "probe a component's /readyz (for container health checks)", runHealthcheck},
	}
}

// usageError makes main print the usage hint and exit 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(stdout)
		return nil
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	return usageError{fmt.Sprintf("unknown command %q; run `sagatrace --help` for the list", args[0])}
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "sagatrace — sagas on Temporal, every hop its own trace, one DTID for the transaction.")
	fmt.Fprintln(w, "\nUsage: sagatrace <command> [flags]   (sagatrace <command> --help for its flags)")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-20s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nExample:\n  go run ./cmd/sagatrace dev\n  go run ./cmd/sagatrace start --customer c-1 --profile p-1 --amount 12.99")
}

func exitCode(err error, stderr io.Writer) int {
	var ue usageError
	var ee exitError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintln(stderr, "sagatrace:", ue.msg)
		return 2
	case errors.As(err, &ee):
		fmt.Fprintln(stderr, "sagatrace:", ee.err)
		return ee.code
	default:
		fmt.Fprintln(stderr, "sagatrace:", err)
		return 1
	}
}

// exitError carries a specific exit code.
type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string { return e.err.Error() }
func (e exitError) Unwrap() error { return e.err }

// newFlagSet returns a FlagSet whose --help shows what the command does and
// an example, and whose errors come back instead of exiting.
func newFlagSet(name, synopsis, example string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("sagatrace "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: sagatrace %s\n\n%s\n\nFlags:\n", name, synopsis)
		fs.PrintDefaults()
		fmt.Fprintf(stderr, "\nExample:\n%s\n", example)
	}
	return fs
}

// parseFlags parses args; a bad flag is a usage error (exit 2), --help exits 0.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q; see `%s --help`", fs.Arg(0), fs.Name())}
	}
	return nil
}

// subcommand splits off the word args start with: serve's component,
// deployment's or codec-key's action. Args that start with none (nothing,
// or a flag) are parsed with fs, the command's own usage, so --help shows
// it; otherwise they are the usage error missing.
func subcommand(fs *flag.FlagSet, args []string, missing string) (name string, rest []string, err error) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return args[0], args[1:], nil
	}
	if err := parseFlags(fs, args); err != nil {
		return "", nil, err
	}
	return "", nil, usageError{missing}
}
