package operator

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
)

// DeploymentName is the Worker Deployment every saga worker belongs to: a
// build of sagatrace is one version of it (its build ID), and the version
// made current receives every saga's workflow tasks.
const DeploymentName = "sagatrace"

// UnstampedBuildID is the build ID of a binary built without version
// control information (go run, go test, a build outside a checkout): every
// such build is the same version, so one replaces the other instead of
// rolling out beside it. Give --build-id to roll out such a build.
const UnstampedBuildID = "unstamped"

// DefaultBuildID is this binary's build ID: the VCS revision it was built
// from, with "-dirty" when the checkout had uncommitted changes, else
// UnstampedBuildID.
func DefaultBuildID() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return UnstampedBuildID
	}
	return buildIDOf(info.Settings)
}

// buildIDOf reads the build ID from a binary's build settings.
func buildIDOf(settings []debug.BuildSetting) string {
	var rev, dirty string
	for _, s := range settings {
		switch {
		case s.Key == "vcs.revision":
			rev = s.Value
		case s.Key == "vcs.modified" && s.Value == "true":
			dirty = "-dirty"
		}
	}
	if rev == "" {
		return UnstampedBuildID
	}
	return rev + dirty
}

// Deployment is what an operator sees of the saga workers' Worker
// Deployment: the current version and every version the server knows.
type Deployment struct {
	Name           string              `json:"name"`
	CurrentBuildID string              `json:"current_build_id,omitempty"` // "" while unversioned workers get the tasks
	Versions       []DeploymentVersion `json:"versions"`
}

// DeploymentVersion is one build of the deployment.
type DeploymentVersion struct {
	BuildID string    `json:"build_id"`
	Created time.Time `json:"created"`
	// Drainage is "draining" while workflows pinned to it are open,
	// "drained" once none is, "" for the current version. Sagas are
	// AutoUpgrade, so a version drains as soon as it is not current.
	Drainage string `json:"drainage,omitempty"`
}

// DescribeDeployment reads the deployment called name.
func DescribeDeployment(ctx context.Context, c client.Client, name string) (Deployment, error) {
	resp, err := c.WorkerDeploymentClient().GetHandle(name).Describe(ctx, client.WorkerDeploymentDescribeOptions{})
	if err != nil {
		return Deployment{}, fmt.Errorf("describe worker deployment %s: %w", name, err)
	}
	d := Deployment{Name: name}
	if cur := resp.Info.RoutingConfig.CurrentVersion; cur != nil {
		d.CurrentBuildID = cur.BuildID
	}
	for _, v := range resp.Info.VersionSummaries {
		dv := DeploymentVersion{BuildID: v.Version.BuildID, Created: v.CreateTime}
		switch v.DrainageStatus {
		case client.WorkerDeploymentVersionDrainageStatusDraining:
			dv.Drainage = "draining"
		case client.WorkerDeploymentVersionDrainageStatusDrained:
			dv.Drainage = "drained"
		}
		d.Versions = append(d.Versions, dv)
	}
	return d, nil
}

// SetCurrentVersion makes buildID the current version of the deployment
// called name: new sagas start on its workers, and every open saga's next
// workflow task goes to them (sagas are AutoUpgrade). It returns the build
// ID that was current before ("" for unversioned workers).
//
// The server refuses a version none of whose workers has polled yet, or
// whose workers do not poll every task queue the current version's did; a
// worker that has just started may not have been seen yet, so a refusal is
// retried until wait has passed.
func SetCurrentVersion(ctx context.Context, c client.Client, name, buildID, identity string, wait time.Duration) (previous string, err error) {
	if strings.TrimSpace(buildID) == "" {
		return "", errors.New("set the current version: the build ID is empty")
	}
	h := c.WorkerDeploymentClient().GetHandle(name)
	deadline := time.Now().Add(wait)
	for {
		var resp client.WorkerDeploymentSetCurrentVersionResponse
		resp, err = h.SetCurrentVersion(ctx, client.WorkerDeploymentSetCurrentVersionOptions{BuildID: buildID, Identity: identity})
		if err == nil {
			// Deprecated in favour of Describe first, which would race
			// with another caller; it is only reported.
			if p := resp.PreviousVersion; p != nil {
				previous = p.BuildID
			}
			return previous, nil
		}
		if !refusedForNow(err) || time.Now().After(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
	return "", fmt.Errorf("make build %s the current version of worker deployment %s: %w; "+
		"start a worker of that build first (sagatrace serve worker --build-id %[1]s), polling every task queue the current version polls", buildID, name, err)
}

// refusedForNow tells a refusal that a worker's first poll may lift (the
// deployment or version is not known yet, or not every task queue is
// polled yet) from an error that retrying cannot fix.
func refusedForNow(err error) bool {
	var notFound *serviceerror.NotFound
	var precondition *serviceerror.FailedPrecondition
	return errors.As(err, &notFound) || errors.As(err, &precondition)
}
