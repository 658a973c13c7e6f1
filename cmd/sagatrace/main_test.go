package main

import (
	"bytes"
	"context"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/sagatrace/sagatrace/workflows"
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
		{"deployment_without_subcommand", []string{"deployment"}, "name a subcommand"},
		{"codec_key_without_action", []string{"codec-key"}, "needs an action"},
		{"bad_partitions", []string{"serve", "scoring", "--partitions", "7-3"}, "--partitions"},
		{"bad_log_level", []string{"serve", "payment", "--log-level", "loud"}, "--log-level"},
		// A configuration the component refuses is the flags' fault too,
		// for every component alike (the worker's once exited 1).
		{"worker_without_temporal", []string{"serve", "worker", "--temporal-address", ""}, "--temporal-address is required"},
		{"order_without_payment_url", []string{"serve", "order", "--payment-url", "", "--auth-disabled"}, "--payment-url is required"},
		{"console_without_jaeger", []string{"serve", "console", "--jaeger-url", "", "--auth-disabled"}, "--jaeger-url is required"},
		{"codec_without_keys", []string{"serve", "codec", "--auth-disabled"}, "--codec-key-file"},
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

// Bad money is a usage error found before the CLI dials Temporal: the
// address given is one nothing listens on, so a check that let the input
// through would end in a dial error (exit 1), not exit 2.
func TestStartRefusesBadMoneyBeforeContactingTemporal(t *testing.T) {
	tests := []struct {
		name        string
		args        []string
		wantReasons []string
	}{
		{"negative", []string{"--amount", "-0.50"}, []string{"--amount", `"-0.50"`, "no sign"}},
		{"sign_inside", []string{"--amount", "1.-5"}, []string{"--amount", "no sign"}},
		{"yen_decimals", []string{"--currency", "JPY", "--amount", "12.99"}, []string{"--amount", "JPY has no minor unit", "1299"}},
		{"too_many_decimals", []string{"--amount", "12.999"}, []string{"--amount", "USD has 2 decimals"}},
		{"dinar_four_decimals", []string{"--currency", "BHD", "--amount", "1.2999"}, []string{"BHD has 3 decimals", "1.299"}},
		{"exponent", []string{"--amount", "1e3"}, []string{"--amount", `'e'`}},
		{"zero", []string{"--amount", "0.00"}, []string{"--amount", "greater than 0"}},
		{"above_maximum", []string{"--amount", "10000000.01"}, []string{"--amount", "above the maximum"}},
		{"missing_amount", nil, []string{"--amount", "empty"}},
		{"unknown_currency", []string{"--currency", "XXX", "--amount", "1"}, []string{"--currency", `"XXX"`, "USD, EUR"}},
		{"unknown_currency_named_before_amount", []string{"--currency", "usd", "--amount", "-1"}, []string{"--currency", `"usd"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			args := append([]string{"start", "--customer", "c", "--profile", "p", "--temporal-address", "127.0.0.1:1"}, tt.args...)
			var stdout, stderr bytes.Buffer
			err := run(ctx, args, &stdout, &stderr)
			if code := exitCode(err, &stderr); code != 2 {
				t.Fatalf("exit code = %d (err %v), want 2", code, err)
			}
			for _, want := range tt.wantReasons {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("stderr does not say %q:\n%s", want, stderr.String())
				}
			}
			if stdout.Len() != 0 {
				t.Errorf("a refused start printed to stdout:\n%s", stdout.String())
			}
		})
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

// A duplicate start must come back as an error, not as the existing run:
// the saga's shared options (UseExisting, the SDK's default of no error)
// would hand the CLI the old run to print as new.
func TestStartOptionsFailOnADuplicateDTID(t *testing.T) {
	opts := startOptions("d-1")
	shared := workflows.StartOptions("d-1", workflows.TaskQueue)
	if opts.ID != shared.ID || opts.TaskQueue != shared.TaskQueue || opts.WorkflowIDReusePolicy != shared.WorkflowIDReusePolicy {
		t.Errorf("start options %+v differ from the saga's %+v beyond the conflict answer", opts, shared)
	}
	if opts.WorkflowIDConflictPolicy != enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL || !opts.WorkflowExecutionErrorWhenAlreadyStarted {
		t.Errorf("conflict policy %v, error when already started %v; want Fail and true",
			opts.WorkflowIDConflictPolicy, opts.WorkflowExecutionErrorWhenAlreadyStarted)
	}
}

func TestDuplicateStartNamesTheExistingSaga(t *testing.T) {
	var stderr bytes.Buffer
	err := exitError{code: exitDuplicate, err: duplicateStart("d-1", "order-saga-d-1", "run-1")}
	if code := exitCode(err, &stderr); code != exitDuplicate {
		t.Fatalf("exit code = %d, want %d", code, exitDuplicate)
	}
	for _, want := range []string{"already exists", "order-saga-d-1", "run-1", "sagatrace trace d-1", "temporal workflow show -w order-saga-d-1"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr does not say %q:\n%s", want, stderr.String())
		}
	}
}
