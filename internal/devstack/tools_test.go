package devstack_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sagatrace/sagatrace/internal/devstack"
	"github.com/sagatrace/sagatrace/internal/devstack/devstacktest"
)

func TestFindRepoRoot(t *testing.T) {
	t.Parallel()
	root, err := devstack.FindRepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"go.mod", "tools/go.mod"} {
		if _, err := os.Stat(filepath.Join(root, f)); err != nil {
			t.Errorf("root %s: %v", root, err)
		}
	}
	if _, err := devstack.FindRepoRoot(t.TempDir()); err == nil {
		t.Error("FindRepoRoot(temp dir) succeeded, want an error")
	}
}

func TestBuildTools(t *testing.T) {
	t.Parallel()
	tools := devstacktest.Tools(t)
	for name, path := range map[string]string{"temporal": tools.Temporal, "jaeger": tools.Jaeger, "nats": tools.NATS} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !filepath.IsAbs(path) || fi.Mode()&0o111 == 0 {
			t.Errorf("%s: %s is not an absolute path to an executable", name, path)
		}
	}
}

func TestBuildToolsReportsFailure(t *testing.T) {
	// Not parallel: t.Setenv keeps this build's cache out of the user's.
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "go.mod"), "module example.com/broken\n\ngo 1.26\n")
	// A tools module that pins nothing: the build must fail, without network.
	writeFile(t, filepath.Join(root, "tools", "go.mod"), "module example.com/broken/tools\n\ngo 1.26\n")
	writeFile(t, filepath.Join(root, "tools", "go.sum"), "")

	var progress strings.Builder
	_, err := devstack.BuildTools(t.Context(), root, &progress)
	if err == nil {
		t.Fatal("BuildTools with an empty tools module succeeded, want an error")
	}
	for _, want := range []string{"no required module provides package", "GOPROXY", "go build -modfile=tools/go.mod"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	t.Logf("error, as expected: %v", err)
	if !strings.Contains(progress.String(), "first build takes several minutes") {
		t.Errorf("progress lacks the slow-build notice: %q", progress.String())
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
