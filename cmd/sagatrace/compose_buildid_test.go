package main

import (
	"context"
	"flag"
	"io"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"

	"github.com/sagatrace/sagatrace/internal/operator"
)

// The image is built without .git (.dockerignore), so Go cannot stamp the
// revision and every image would be the build "unstamped": a new image's
// workers would join the old build's version, and no rolling upgrade would
// happen. The build ID therefore travels as a build argument, from the
// shell through compose and the Dockerfile into the worker's --build-id.
func TestComposeStampsTheWorkersBuildID(t *testing.T) {
	tests := []struct {
		name  string
		shell []string
		want  string
	}{
		{name: "set_in_the_shell", shell: []string{"SAGATRACE_BUILD_ID=3f9c2e1"}, want: "3f9c2e1"},
		{name: "unset_is_unstamped", want: operator.UnstampedBuildID},
	}
	imageEnv := dockerfileRuntimeEnv(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts, err := cli.NewProjectOptions([]string{"../../compose.yaml"}, cli.WithName("sagatrace"),
				cli.WithResolvedPaths(true), cli.WithEnv(append(slices.Clone(composeTestEnv), tt.shell...)))
			if err != nil {
				t.Fatal(err)
			}
			p, err := opts.LoadProject(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			built := 0
			for name, svc := range p.Services {
				if svc.Build == nil {
					continue
				}
				built++
				arg := svc.Build.Args["SAGATRACE_BUILD_ID"]
				if arg == nil || *arg != tt.want {
					t.Errorf("service %s builds the image with SAGATRACE_BUILD_ID=%v, want %q", name, arg, tt.want)
				}
			}
			if built == 0 {
				t.Fatal("no service of compose.yaml builds the sagatrace image")
			}

			// The image turns the argument into the variable that sets the
			// worker's --build-id.
			env := map[string]string{}
			for k, v := range imageEnv {
				env[k] = strings.ReplaceAll(v, "${SAGATRACE_BUILD_ID}", tt.want)
			}
			fs := flag.NewFlagSet("serve", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			if _, err := defineServe(context.Background(), fs, "worker"); err != nil {
				t.Fatal(err)
			}
			if err := applyEnv(fs, func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err != nil {
				t.Fatal(err)
			}
			if got := fs.Lookup("build-id").Value.String(); got != tt.want {
				t.Errorf("the image's worker runs as build %q, want %q (Dockerfile ENV %v)", got, tt.want, imageEnv)
			}
		})
	}
}

// dockerfileRuntimeEnv reads the ENV lines of the Dockerfile's last stage,
// the image that runs.
func dockerfileRuntimeEnv(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for line := range strings.Lines(string(b)) {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "FROM "):
			clear(env)
		case strings.HasPrefix(line, "ENV "):
			k, v, _ := strings.Cut(strings.TrimPrefix(line, "ENV "), "=")
			env[k] = v
		}
	}
	return env
}
