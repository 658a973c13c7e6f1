package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A file: URL is healthy when the file is there and not empty: how compose
// waits for order-token's first token.
func TestHealthcheckOfAFile(t *testing.T) {
	dir := t.TempDir()
	full, empty := filepath.Join(dir, "payment.token"), filepath.Join(dir, "empty.token")
	if err := os.WriteFile(full, []byte("tok\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, wantErr string
	}{
		{name: "written", path: full},
		{name: "empty", path: empty, wantErr: "is empty"},
		{name: "missing", path: filepath.Join(dir, "none"), wantErr: "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout bytes.Buffer
			err := run(context.Background(), []string{"healthcheck", "file://" + tt.path}, &stdout, &stdout)
			if tt.wantErr == "" {
				if err != nil || strings.TrimSpace(stdout.String()) != "healthy" {
					t.Errorf("healthcheck = %v, %q; want healthy", err, stdout.String())
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("healthcheck = %v, want unhealthy saying %q", err, tt.wantErr)
			}
		})
	}
}
