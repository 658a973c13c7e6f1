package main

import (
	"context"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
)

// Temporal speaks only mutual TLS in compose: the frontend requires client
// certificates of the CA the `certs` one-shot makes; the worker, the
// console, the UI and the CLIs each present their own, made by that
// one-shot, check the frontend by a name its certificate carries, and see
// their own directory of the certificates volume only.
func TestComposeTemporalSpeaksOnlyMutualTLS(t *testing.T) {
	p := loadCompose(t)
	var maker types.ServiceConfig
	for _, svc := range p.Services {
		if len(svc.Command) > 0 && svc.Command[0] == "certs" {
			maker = svc
		}
	}
	if maker.Name == "" {
		t.Fatal("no `sagatrace certs` one-shot makes Temporal's certificates")
	}
	fs := newFlagSet("certs", "", "", io.Discard)
	f := defineCerts(fs)
	if err := fs.Parse(maker.Command[1:]); err != nil {
		t.Fatalf("certs command %v: %v", maker.Command, err)
	}
	o, err := f.options()
	if err != nil {
		t.Fatalf("certs command %v: %v", maker.Command, err)
	}
	// The one-shot's command as the binary runs it, into a directory of
	// this test's: every file the services below are given exists.
	made := t.TempDir()
	args := slices.Clone(maker.Command)
	args[slices.Index(args, "--out")+1] = made
	if err := run(context.Background(), args, io.Discard, io.Discard); err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	exists := func(holder, name string) bool {
		_, err := os.Stat(filepath.Join(made, holder, name))
		return err == nil
	}
	out, ok := mounted(maker, path.Join(o.Dir, "ca", "ca.pem"))
	if !ok {
		t.Fatalf("certs writes %s, which is on no volume", o.Dir)
	}
	certVolume := out.Source

	// tlsFile returns the holder whose directory holds file in svc, and
	// the file's name there.
	tlsFile := func(svc types.ServiceConfig, file string) (holder, name string) {
		for _, v := range svc.Volumes {
			if v.Source == certVolume && v.Volume != nil && strings.HasPrefix(file, strings.TrimSuffix(v.Target, "/")+"/") {
				if !v.ReadOnly {
					t.Errorf("service %s mounts the certificates read-write", svc.Name)
				}
				return v.Volume.Subpath, path.Base(file)
			}
		}
		return "", ""
	}
	// wantPair checks that ca, cert and key are holder's, made by certs.
	wantPair := func(svc, holder, ca, cert, key string) {
		t.Helper()
		s := p.Services[svc]
		for file, want := range map[string]string{ca: "ca.pem", cert: holder + ".pem", key: holder + ".key"} {
			if h, name := tlsFile(s, file); h != holder || name != want {
				t.Errorf("service %s: %q is %s of %q, want %s of %s's directory", svc, file, name, h, want, holder)
			}
		}
		for _, name := range []string{"ca.pem", holder + ".pem", holder + ".key"} {
			if !exists(holder, name) {
				t.Errorf("service %s is given %s/%s, which certs does not make", svc, holder, name)
			}
		}
		if holder != "server" && !slices.Contains(o.Clients, holder) {
			t.Errorf("service %s uses the client certificate %s, which certs does not make (--client)", svc, holder)
		}
	}
	wantServerName := func(svc, name string) {
		t.Helper()
		if !slices.Contains(o.ServerNames, name) {
			t.Errorf("service %s checks the frontend as %q, which is not among its certificate's names %v", svc, name, o.ServerNames)
		}
	}

	temporal := p.Services["temporal"]
	if env(temporal, "TEMPORAL_TLS_REQUIRE_CLIENT_AUTH") != "true" {
		t.Error("temporal does not require client certificates")
	}
	wantPair("temporal", "server", env(temporal, "TEMPORAL_TLS_CLIENT1_CA_CERT"), env(temporal, "TEMPORAL_TLS_FRONTEND_CERT"), env(temporal, "TEMPORAL_TLS_FRONTEND_KEY"))
	wantPair("temporal", "server", env(temporal, "TEMPORAL_TLS_SERVER_CA_CERT"), env(temporal, "TEMPORAL_TLS_SERVER_CERT"), env(temporal, "TEMPORAL_TLS_SERVER_KEY"))
	wantServerName("temporal", env(temporal, "TEMPORAL_TLS_FRONTEND_SERVER_NAME"))
	wantServerName("temporal", env(temporal, "TEMPORAL_TLS_INTERNODE_SERVER_NAME"))
	wantPair("temporal", "cli", env(temporal, "TEMPORAL_CLI_TLS_CA"), env(temporal, "TEMPORAL_CLI_TLS_CERT"), env(temporal, "TEMPORAL_CLI_TLS_KEY"))
	wantServerName("temporal", env(temporal, "TEMPORAL_CLI_TLS_SERVER_NAME"))
	if d, ok := temporal.DependsOn[maker.Name]; !ok || d.Condition != types.ServiceConditionCompletedSuccessfully {
		t.Errorf("temporal does not wait for %s to make the certificates", maker.Name)
	}

	ui := p.Services["temporal-ui"]
	holder, _ := tlsFile(ui, env(ui, "TEMPORAL_TLS_CERT"))
	wantPair("temporal-ui", holder, env(ui, "TEMPORAL_TLS_CA"), env(ui, "TEMPORAL_TLS_CERT"), env(ui, "TEMPORAL_TLS_KEY"))
	wantServerName("temporal-ui", env(ui, "TEMPORAL_TLS_SERVER_NAME"))

	// Every temporal CLI call of temporal-admin, its health check's too.
	admin := p.Services["temporal-admin"]
	calls := 0
	for _, script := range append(slices.Clone(admin.Command), admin.HealthCheck.Test...) {
		for _, call := range strings.Split(script, "temporal operator")[1:] {
			calls++
			args := strings.Fields(call)
			arg := func(name string) string {
				if i := slices.Index(args, name); i >= 0 && i+1 < len(args) {
					return args[i+1]
				}
				return ""
			}
			wantPair("temporal-admin", "cli", arg("--tls-ca-path"), arg("--tls-cert-path"), arg("--tls-key-path"))
			wantServerName("temporal-admin", arg("--tls-server-name"))
		}
	}
	if calls < 3 {
		t.Errorf("found %d temporal CLI calls in temporal-admin, want its two commands and its health check", calls)
	}

	for _, name := range []string{"worker", "console"} {
		svc := p.Services[name]
		wantPair(name, name, env(svc, "SAGATRACE_TEMPORAL_TLS_CA"), env(svc, "SAGATRACE_TEMPORAL_TLS_CERT"), env(svc, "SAGATRACE_TEMPORAL_TLS_KEY"))
		wantServerName(name, env(svc, "SAGATRACE_TEMPORAL_TLS_SERVER_NAME"))
		if slices.Contains(o.ReadableKeys, name) {
			t.Errorf("%s's key is readable by all: it runs as the user that owns it, 0600 is what it loads", name)
		}
	}

	// Isolation: the CA's directory is mounted by no one, the volume's root
	// only by the one-shot, and a holder's directory only where it is used.
	for name, svc := range p.Services {
		for _, v := range svc.Volumes {
			if v.Source != certVolume || name == maker.Name {
				continue
			}
			sub := ""
			if v.Volume != nil {
				sub = v.Volume.Subpath
			}
			switch {
			case sub == "" || sub == "ca":
				t.Errorf("service %s mounts %q of the certificates volume: the CA's key is in reach", name, sub)
			case sub == "cli" && (name == "temporal" || name == "temporal-admin"):
			case sub != name && !(name == "temporal" && sub == "server") && !(name == "temporal-ui" && sub == "ui"):
				t.Errorf("service %s mounts %s's certificates", name, sub)
			}
		}
	}
}
