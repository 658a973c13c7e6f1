package main

import (
	"bytes"
	"context"
	"io"
	"slices"
	"strings"
	"testing"
)

func TestEveryCommandHasHelpWithAnExample(t *testing.T) {
	for _, c := range commands() {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), []string{c.name, "--help"}, &stdout, &stderr)
			if code := exitCode(err, &stderr); code != 0 {
				t.Fatalf("%s --help exited %d: %v", c.name, code, err)
			}
			help := stdout.String() + stderr.String()
			if !strings.Contains(help, "Example:") || !strings.Contains(help, "sagatrace "+c.name) {
				t.Errorf("%s --help lacks usage or an example:\n%s", c.name, help)
			}
		})
	}
}

func TestBadInvocationsExitTwoWithAReason(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantReason string
	}{
		{"unknown_command", []string{"frobnicate"}, "unknown command"},
		{"unknown_flag", []string{"start", "--colour", "red"}, "colour"},
		{"bad_amount", []string{"start", "--customer", "c", "--profile", "p", "--amount", "12.999"}, "--amount"},
		{"missing_customer", []string{"start", "--profile", "p", "--amount", "1"}, "customer_id"},
		{"bad_fault", []string{"start", "--fault", "order.create"}, "operation=kind"},
		{"serve_without_component", []string{"serve"}, "needs a component"},
		{"serve_unknown_component", []string{"serve", "ledger"}, "unknown component"},
		{"bad_partitions", []string{"serve", "scoring", "--partitions", "7-3"}, "--partitions"},
		{"bad_log_level", []string{"serve", "payment", "--log-level", "loud"}, "--log-level"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), tt.args, &stdout, &stderr)
			if code := exitCode(err, &stderr); code != 2 {
				t.Fatalf("exit code = %d (err %v), want 2", code, err)
			}
			if !strings.Contains(stderr.String(), tt.wantReason) {
				t.Errorf("stderr does not say %q:\n%s", tt.wantReason, stderr.String())
			}
		})
	}
}

func TestParseAmount(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{"12.99", 1299, false}, {"5", 500, false}, {"0.5", 50, false}, {"0.07", 7, false},
		{"12.999", 0, true}, {"-1", 0, true}, {"", 0, true}, {"1e3", 0, true}, {"12.x", 0, true},
	}
	for _, tt := range tests {
		got, err := parseAmount(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("parseAmount(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestParsePartitions(t *testing.T) {
	tests := []struct {
		in      string
		want    []int
		wantErr bool
	}{
		{"", nil, false}, {"0-3", []int{0, 1, 2, 3}, false}, {"1,3", []int{1, 3}, false},
		{"0-1,8-9", []int{0, 1, 8, 9}, false}, {"3-1", nil, true}, {"x", nil, true},
	}
	for _, tt := range tests {
		got, err := parsePartitions(tt.in)
		if (err != nil) != tt.wantErr || !slices.Equal(got, tt.want) {
			t.Errorf("parsePartitions(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestServeFlagsComeFromTheEnvironment(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string
	}{
		{name: "valid", env: map[string]string{"SAGATRACE_LISTEN": ":9999", "SAGATRACE_FAULTS": "true"}},
		{name: "bad_bool_names_the_variable", env: map[string]string{"SAGATRACE_FAULTS": "maybe"}, wantErr: "SAGATRACE_FAULTS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := newFlagSet("serve payment", "", "", io.Discard)
			spec, err := defineServe(context.Background(), fs, "payment")
			if err != nil {
				t.Fatal(err)
			}
			err = applyEnv(fs, func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if fs.Lookup("listen").Value.String() != ":9999" || !spec.common.FaultsEnabled {
				t.Errorf("listen = %s, faults = %v", fs.Lookup("listen").Value, spec.common.FaultsEnabled)
			}
		})
	}
}
