package main

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// The Dockerfile copies the whole context (COPY . .): .dockerignore keeps
// the repository's history, a dev data dir (with the issuer's private key
// and the databases) and key files out of the image's build context.
func TestDockerignoreKeepsSecretsOutOfTheBuildContext(t *testing.T) {
	b, err := os.ReadFile("../../.dockerignore")
	if err != nil {
		t.Fatalf("no .dockerignore next to the Dockerfile: %v", err)
	}
	var patterns []string
	for _, line := range strings.Split(string(b), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			patterns = append(patterns, line)
		}
	}
	for _, want := range []string{".git", ".sagatrace", "**/*.key", "**/*.pem"} {
		if !slices.Contains(patterns, want) {
			t.Errorf(".dockerignore lacks %q (it has %v)", want, patterns)
		}
	}
}
