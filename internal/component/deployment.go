package component

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/sagatrace/sagatrace/internal/operator"
)

// MakeCurrent says when a saga worker makes its own build the current
// version of its Worker Deployment, the one every saga's next workflow
// task goes to.
type MakeCurrent string

const (
	// MakeCurrentFirst: only while no version is current — the first
	// versioned build of a deployment, which takes over from unversioned
	// workers. A later build waits for `sagatrace deployment set-current`.
	MakeCurrentFirst MakeCurrent = "first"
	// MakeCurrentAlways: at every start — `sagatrace dev`, where the one
	// worker is the build being run. Never with replicas of two builds: a
	// restarting old replica would take the sagas back.
	MakeCurrentAlways MakeCurrent = "always"
	// MakeCurrentNever: an operator promotes the build once its workers
	// poll (a rollout with `sagatrace deployment set-current`).
	MakeCurrentNever MakeCurrent = "never"
)

// MakeCurrentModes lists the modes, for flags and errors.
func MakeCurrentModes() []MakeCurrent {
	return []MakeCurrent{MakeCurrentFirst, MakeCurrentAlways, MakeCurrentNever}
}

// WorkerDeployment opts a saga worker into Temporal's Worker Deployment
// versioning: it is build BuildID of deployment Name, and receives sagas'
// workflow tasks only while that version is current. A zero Name runs it
// unversioned, as drills' workers on their own short-lived task queues do.
type WorkerDeployment struct {
	Name        string
	BuildID     string
	MakeCurrent MakeCurrent
}

// makeCurrentWait bounds how long a starting worker waits for the server
// to see its pollers before it can make its version current.
const makeCurrentWait = 30 * time.Second

func (d WorkerDeployment) validate() error {
	if d.Name == "" {
		return nil
	}
	var errs []error
	if d.BuildID == "" {
		errs = append(errs, errors.New("--build-id is empty: give the build's ID (the binary's VCS revision by default)"))
	}
	switch d.MakeCurrent {
	case MakeCurrentFirst, MakeCurrentAlways, MakeCurrentNever, "":
	default:
		errs = append(errs, fmt.Errorf("--make-current %q: want one of %v", d.MakeCurrent, MakeCurrentModes()))
	}
	return errors.Join(errs...)
}

// apply sets the worker's deployment options. Workflows register their
// own versioning behaviour (workflows.Register).
func (d WorkerDeployment) apply(o *worker.Options) {
	if d.Name == "" {
		return
	}
	o.DeploymentOptions = worker.DeploymentOptions{
		UseVersioning: true,
		Version:       worker.WorkerDeploymentVersion{DeploymentName: d.Name, BuildID: d.BuildID},
	}
}

// promote makes the worker's version current as d.MakeCurrent says, once
// the worker polls.
func (d WorkerDeployment) promote(ctx context.Context, tc client.Client, identity string, logger *slog.Logger) error {
	if d.Name == "" || d.MakeCurrent == MakeCurrentNever {
		return nil
	}
	if d.MakeCurrent != MakeCurrentAlways {
		current, err := d.currentBuildID(ctx, tc)
		if err != nil {
			return err
		}
		if current != "" {
			level := slog.LevelInfo
			if current != d.BuildID {
				level = slog.LevelWarn
			}
			logger.Log(ctx, level, "another build is the current version: this worker gets sagas once it is made current (sagatrace deployment set-current)",
				slog.String("deployment", d.Name), slog.String("build_id", d.BuildID), slog.String("current_build_id", current))
			return nil
		}
	}
	previous, err := operator.SetCurrentVersion(ctx, tc, d.Name, d.BuildID, identity, makeCurrentWait)
	if err != nil {
		return err
	}
	logger.Info("made this build the current version of the worker deployment",
		slog.String("deployment", d.Name), slog.String("build_id", d.BuildID), slog.String("previous_build_id", previous))
	return nil
}

// currentBuildID is the deployment's current build ID, "" when none is;
// the deployment exists only once a worker of it polled, so a missing one
// is waited for.
func (d WorkerDeployment) currentBuildID(ctx context.Context, tc client.Client) (string, error) {
	deadline := time.Now().Add(makeCurrentWait)
	for {
		dep, err := operator.DescribeDeployment(ctx, tc, d.Name)
		var notFound *serviceerror.NotFound
		switch {
		case err == nil:
			return dep.CurrentBuildID, nil
		case !errors.As(err, &notFound) || time.Now().After(deadline):
			return "", err
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}
