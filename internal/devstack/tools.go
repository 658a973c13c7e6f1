package devstack

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// The tool packages pinned in tools/go.mod. `go build -o dir/` names each
// binary after the last element of its package path.
const (
	temporalPackage = "github.com/temporalio/cli/cmd/temporal"
	jaegerPackage   = "github.com/jaegertracing/jaeger/cmd/jaeger"
	natsPackage     = "github.com/nats-io/natscli/nats"
)

// Tools holds the absolute paths of the built tool binaries.
type Tools struct {
	Temporal string // Temporal CLI, whose `server start-dev` is the dev server
	Jaeger   string // Jaeger v2
	NATS     string // natscli, for poking at streams by hand
}

func toolsIn(dir string) Tools {
	return Tools{
		Temporal: filepath.Join(dir, "temporal"),
		Jaeger:   filepath.Join(dir, "jaeger"),
		NATS:     filepath.Join(dir, "nats"),
	}
}

func (t Tools) exist() bool {
	for _, p := range []string{t.Temporal, t.Jaeger, t.NATS} {
		if fi, err := os.Stat(p); err != nil || !fi.Mode().IsRegular() {
			return false
		}
	}
	return true
}

// BuildTools builds the binaries pinned in repoRoot/tools/go.mod into the
// user cache and returns their paths. The cache directory is named after a
// hash of tools/go.mod and tools/go.sum, so a changed pin builds afresh and
// an unchanged one returns at once. A cold build takes minutes; progress is
// reported on progress (nil discards it). Concurrent callers, also in other
// processes, wait for a single build.
func BuildTools(ctx context.Context, repoRoot string, progress io.Writer) (Tools, error) {
	if progress == nil {
		progress = io.Discard
	}
	dir, err := toolsDir(repoRoot)
	if err != nil {
		return Tools{}, fmt.Errorf("build tools: %w", err)
	}
	tools := toolsIn(dir)
	if tools.exist() {
		return tools, nil
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return Tools{}, fmt.Errorf("build tools: %w", err)
	}
	unlock, err := lockFile(ctx, dir+".lock", progress)
	if err != nil {
		return Tools{}, fmt.Errorf("build tools: %w", err)
	}
	defer unlock()
	if tools.exist() { // Built by whoever held the lock before us.
		return tools, nil
	}
	if err := goBuildTools(ctx, repoRoot, dir, progress); err != nil {
		return Tools{}, fmt.Errorf("build tools: %w", err)
	}
	return tools, nil
}

// toolsDir is <user cache>/sagatrace/tools/<hash of tools/go.mod and go.sum>.
func toolsDir(repoRoot string) (string, error) {
	h := sha256.New()
	for _, name := range []string{"go.mod", "go.sum"} {
		b, err := os.ReadFile(filepath.Join(repoRoot, "tools", name))
		if err != nil {
			return "", err
		}
		h.Write(b)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(cache, "sagatrace", "tools", hex.EncodeToString(h.Sum(nil))[:12]), nil
}

// FindRepoRoot walks up from start to the first directory holding both
// go.mod and tools/go.mod: the sagatrace repository root.
func FindRepoRoot(start string) (string, error) {
	dir, err := filepath.Abs(start)
	if err != nil {
		return "", fmt.Errorf("find repository root: %w", err)
	}
	for {
		if isFile(filepath.Join(dir, "go.mod")) && isFile(filepath.Join(dir, "tools", "go.mod")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("find repository root: no directory above %s holds go.mod and tools/go.mod", start)
		}
		dir = parent
	}
}

func isFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}
