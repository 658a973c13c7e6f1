package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sagatrace/sagatrace/internal/operator"
)

const deploymentSynopsis = `Shows or changes which build of the saga worker gets the sagas: the
current version of the Temporal Worker Deployment the workers belong to
(--deployment-name of sagatrace serve worker). Every saga is AutoUpgrade:
its next workflow task goes to the current version's workers, parked
sagas included.

  describe      the current build and every build the server knows
  set-current   make --build-id current, once its workers poll

To roll out build B: start B's workers beside A's (serve worker
--make-current never), run set-current --build-id B, check describe, then
stop A's workers. To roll back, set-current --build-id A while A's workers
still run (or start them again). Exit codes: 0 done, 1 refused (no worker
of that build polls yet), 2 bad flags or Temporal unreachable.`

const deploymentExample = `  sagatrace deployment describe
  sagatrace deployment set-current --build-id 3f9c2e1d4b5a`

func runDeployment(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sub, args, err := subcommand(newFlagSet("deployment describe|set-current [flags]", deploymentSynopsis, deploymentExample, stderr), args,
		"name a subcommand: describe or set-current; see `sagatrace deployment --help`")
	if err != nil {
		return err
	}
	switch sub {
	case "describe":
		return runDeploymentDescribe(ctx, args, stdout, stderr)
	case "set-current":
		return runDeploymentSetCurrent(ctx, args, stdout, stderr)
	default:
		return usageError{fmt.Sprintf("unknown subcommand %q: want describe or set-current; see `sagatrace deployment --help`", sub)}
	}
}

func runDeploymentDescribe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("deployment describe [flags]", deploymentSynopsis, "  sagatrace deployment describe\n  sagatrace deployment describe --json | jq -r .current_build_id", stderr)
	name := fs.String("deployment-name", operator.DeploymentName, "the Worker Deployment of the saga workers")
	asJSON := fs.Bool("json", false, "print as JSON, for scripts")
	tf := defineTemporalConnection(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	tc, err := dialForOperator(ctx, tf)
	if err != nil {
		return err
	}
	defer tc.Close()
	d, err := operator.DescribeDeployment(ctx, tc, *name)
	if err != nil {
		return exitError{code: 1, err: fmt.Errorf("%w (a deployment exists once a versioned worker of it polled)", err)}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(d)
	}
	fmt.Fprintf(stdout, "deployment %s, current build: %s\n", d.Name, noneIfEmpty(d.CurrentBuildID))
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "BUILD ID\tCREATED\tSTATE")
	for _, v := range d.Versions {
		state := v.Drainage
		if v.BuildID == d.CurrentBuildID {
			state = "current"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\n", v.BuildID, v.Created.Format(time.RFC3339), noneIfEmpty(state))
	}
	return w.Flush()
}

func runDeploymentSetCurrent(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("deployment set-current --build-id ID [flags]", deploymentSynopsis, deploymentExample, stderr)
	name := fs.String("deployment-name", operator.DeploymentName, "the Worker Deployment of the saga workers")
	buildID := fs.String("build-id", "", "the build to make current (required; its workers must poll already)")
	wait := fs.Duration("wait", 10*time.Second, "how long to retry while the server has not seen the build's workers poll yet")
	who := fs.String("operator", osUser(), "who acts, recorded by Temporal as the deployment's last modifier")
	tf := defineTemporalConnection(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if strings.TrimSpace(*buildID) == "" {
		return usageError{"--build-id is required: the build to make current (sagatrace deployment describe lists them)"}
	}
	tc, err := dialForOperator(ctx, tf)
	if err != nil {
		return err
	}
	defer tc.Close()
	previous, err := operator.SetCurrentVersion(ctx, tc, *name, *buildID, *who, *wait)
	if err != nil {
		return exitError{code: 1, err: err}
	}
	fmt.Fprintf(stdout, "build %s is the current version of %s (was %s): open sagas continue on it\n", *buildID, *name, noneIfEmpty(previous))
	return nil
}

// noneIfEmpty prints an unset build ID or state as "none".
func noneIfEmpty(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
