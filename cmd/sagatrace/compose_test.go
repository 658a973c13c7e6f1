package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/sagatrace/sagatrace/internal/auth"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
)

// No Docker engine runs on these machines, so compose.yaml is checked
// offline: it must load against the compose schema, pin every image, and
// configure sagatrace only with variables and ports the binary really has.
func loadCompose(t *testing.T) *types.Project {
	t.Helper()
	opts, err := composeOptions()
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("compose.yaml does not load: %v", err)
	}
	return p
}

// composeOptions loads compose.yaml with the passwords of composeTestEnv.
func composeOptions() (*cli.ProjectOptions, error) {
	return cli.NewProjectOptions([]string{"../../compose.yaml"}, cli.WithName("sagatrace"), cli.WithResolvedPaths(true),
		cli.WithEnv(composeTestEnv))
}

// mounted returns the named volume under which svc sees file.
func mounted(svc types.ServiceConfig, file string) (types.ServiceVolumeConfig, bool) {
	for _, v := range svc.Volumes {
		if v.Type == types.VolumeTypeVolume && strings.HasPrefix(file, strings.TrimSuffix(v.Target, "/")+"/") {
			return v, true
		}
	}
	return types.ServiceVolumeConfig{}, false
}

func TestComposeImagesArePinned(t *testing.T) {
	for name, svc := range loadCompose(t).Services {
		_, tag, ok := strings.Cut(svc.Image, ":")
		if !ok || tag == "" || tag == "latest" || strings.Contains(tag, "/") {
			t.Errorf("service %s: image %q is not pinned to a version", name, svc.Image)
		}
	}
}

func TestComposeConfiguresSagatraceWithWhatTheBinaryReads(t *testing.T) {
	p := loadCompose(t)
	checked := 0
	for name, svc := range p.Services {
		if !strings.HasPrefix(svc.Image, "sagatrace:") {
			continue
		}
		if len(svc.Command) > 0 && svc.Command[0] == "keygen" {
			continue // the one-shot that makes the key pair: TestComposeNeverServesAnOpenAPI
		}
		if len(svc.Command) > 0 && svc.Command[0] == "token" {
			continue // the order service's token: TestComposeGivesOrderATokenNotTheKey
		}
		if len(svc.Command) > 0 && svc.Command[0] == "nats-keys" {
			continue // the NATS users' seeds: TestComposeGivesEachNATSClientItsOwnUser
		}
		if len(svc.Command) > 0 && svc.Command[0] == "certs" {
			continue // Temporal's certificates: TestComposeTemporalSpeaksOnlyMutualTLS
		}
		if len(svc.Command) > 0 && svc.Command[0] == "codec-key" {
			continue // the one-shot that makes the payload codec's keys
		}
		checked++
		if len(svc.Command) != 2 || svc.Command[0] != "serve" {
			t.Errorf("service %s: command %v, want [serve <component>]", name, svc.Command)
			continue
		}
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		if _, err := defineServe(context.Background(), fs, svc.Command[1]); err != nil {
			t.Errorf("service %s: %v", name, err)
			continue
		}
		flagOf := map[string]string{} // environment variable → flag
		fs.VisitAll(func(f *flag.Flag) { flagOf[envName(f.Name)] = f.Name })
		for k, v := range svc.Environment {
			f, known := flagOf[k]
			if !known && !strings.HasPrefix(k, "OTEL_") {
				t.Errorf("service %s: sets %s, which `sagatrace serve %s` does not read", name, k, svc.Command[1])
			}
			if v != nil && known {
				if err := fs.Set(f, *v); err != nil {
					t.Errorf("service %s: %s=%q is not a valid value: %v", name, k, *v, err)
				}
			}
		}
		listen := fs.Lookup("listen")
		if listen == nil {
			if len(svc.Ports) > 0 {
				t.Errorf("service %s maps ports but listens on none", name)
			}
			continue
		}
		_, port, err := net.SplitHostPort(listen.Value.String())
		if err != nil {
			t.Fatalf("service %s: listen %q: %v", name, listen.Value, err)
		}
		for _, pm := range svc.Ports {
			if strconv.Itoa(int(pm.Target)) != port {
				t.Errorf("service %s maps container port %d, but listens on %s", name, pm.Target, port)
			}
		}
		if svc.HealthCheck != nil && !strings.Contains(strings.Join(svc.HealthCheck.Test, " "), "127.0.0.1:"+port+"/readyz") {
			t.Errorf("service %s: health check %v does not probe its own port %s", name, svc.HealthCheck.Test, port)
		}
	}
	if checked < 5 {
		t.Errorf("checked %d sagatrace services, want payment, order, scoring, worker and console", checked)
	}
}

// Every service checks tokens with the public key that the keygen one-shot
// writes, on a volume both mount; the worker mints with its private key;
// no service runs with --auth-disabled; and the services and the console
// (which checks logins and reads with a token file) never mount the
// private key.
func TestComposeNeverServesAnOpenAPI(t *testing.T) {
	p := loadCompose(t)
	var keygen *types.ServiceConfig
	for name, svc := range p.Services {
		if strings.HasPrefix(svc.Image, "sagatrace:") && len(svc.Command) > 0 && svc.Command[0] == "keygen" {
			s := p.Services[name]
			keygen = &s
		}
	}
	if keygen == nil {
		t.Fatal("no sagatrace keygen one-shot makes the issuer's key pair")
	}
	arg := func(flag string) string {
		for i, a := range keygen.Command {
			if a == flag && i+1 < len(keygen.Command) {
				return keygen.Command[i+1]
			}
		}
		t.Fatalf("keygen command %v has no %s", keygen.Command, flag)
		return ""
	}
	privFile, pubFile := arg("--private-key"), arg("--public-key")
	volumeAt := func(svc types.ServiceConfig, file string) string {
		v, _ := mounted(svc, file)
		return v.Source
	}
	privVol, pubVol := volumeAt(*keygen, privFile), volumeAt(*keygen, pubFile)
	if privVol == "" || pubVol == "" || privVol == pubVol {
		t.Fatalf("keygen writes %s and %s, want each on a named volume of its own (got %q, %q)", privFile, pubFile, privVol, pubVol)
	}
	env := func(svc types.ServiceConfig, k string) string {
		if v := svc.Environment[k]; v != nil {
			return *v
		}
		return ""
	}
	for name, svc := range p.Services {
		if !strings.HasPrefix(svc.Image, "sagatrace:") || len(svc.Command) != 2 || svc.Command[0] != "serve" {
			continue
		}
		switch component := svc.Command[1]; component {
		case "payment", "order", "scoring", "console":
			if env(svc, "SAGATRACE_AUTH_DISABLED") != "" {
				t.Errorf("service %s sets SAGATRACE_AUTH_DISABLED", name)
			}
			if got := env(svc, "SAGATRACE_AUTH_PUBLIC_KEY"); got != pubFile || volumeAt(svc, got) != pubVol {
				t.Errorf("service %s: SAGATRACE_AUTH_PUBLIC_KEY %q on volume %q, want keygen's %s on %s", name, got, volumeAt(svc, got), pubFile, pubVol)
			}
			if volumeAt(svc, privFile) == privVol {
				t.Errorf("service %s mounts the issuer's private key", name)
			}
		case "worker":
			if got := env(svc, "SAGATRACE_AUTH_KEY"); got != privFile || volumeAt(svc, got) != privVol {
				t.Errorf("service %s: SAGATRACE_AUTH_KEY %q on volume %q, want keygen's %s on %s", name, got, volumeAt(svc, got), privFile, privVol)
			}
		}
	}
}

// The order service reads payments with a token that a `token --renew`
// service keeps on a volume the order service mounts read-only: audience
// payment, payments:read only, minted with keygen's private key, which the
// order service never mounts. The command must be one `sagatrace token`
// takes.
func TestComposeGivesOrderATokenNotTheKey(t *testing.T) {
	p := loadCompose(t)
	order, ok := p.Services["order"]
	if !ok {
		t.Fatal("no order service")
	}
	tokenFile := ""
	if v := order.Environment["SAGATRACE_PAYMENT_TOKEN_FILE"]; v != nil {
		tokenFile = *v
	}
	if tokenFile == "" {
		t.Fatal("order sets no SAGATRACE_PAYMENT_TOKEN_FILE")
	}
	orderVol, ok := mounted(order, tokenFile)
	if !ok || !orderVol.ReadOnly {
		t.Fatalf("order's token file %s is not on a volume it mounts read-only (%+v)", tokenFile, orderVol)
	}
	var writers []string
	for name, svc := range p.Services {
		if len(svc.Command) == 0 || svc.Command[0] != "token" {
			continue
		}
		arg := func(flag string) string {
			if i := slices.Index(svc.Command, flag); i >= 0 && i+1 < len(svc.Command) {
				return svc.Command[i+1]
			}
			return ""
		}
		out, key := arg("--out"), arg("--key")
		if out != tokenFile {
			continue
		}
		writers = append(writers, name)
		if v, ok := mounted(svc, out); !ok || v.Source != orderVol.Source || v.ReadOnly {
			t.Errorf("service %s writes %s, but not on order's volume %s", name, out, orderVol.Source)
		}
		if _, ok := mounted(svc, key); !ok {
			t.Errorf("service %s mints with %s, which it does not mount", name, key)
		} else if _, ok := mounted(order, key); ok {
			t.Errorf("order mounts the private key %s", key)
		}
		if dep, ok := order.DependsOn[name]; !ok || dep.Condition != types.ServiceConditionHealthy {
			t.Errorf("order does not wait for %s to be healthy (its first token written)", name)
		}
		if !slices.Contains(svc.Command, "--renew") {
			t.Errorf("service %s writes one token and stops: it expires", name)
		}
		// The command as the binary runs it, once, with a key and a file
		// of this test's: the token is for payment, with payments:read
		// only.
		dir := t.TempDir()
		kp, err := auth.EnsureKeyPair(filepath.Join(dir, "issuer.key"), filepath.Join(dir, "issuer.pub"))
		if err != nil {
			t.Fatal(err)
		}
		var args []string
		for i := 0; i < len(svc.Command); i++ {
			switch a := svc.Command[i]; a {
			case "--renew":
			case "--key", "--out":
				args = append(args, a, map[string]string{"--key": kp.PrivateKeyFile, "--out": filepath.Join(dir, "payment.token")}[a])
				i++
			default:
				args = append(args, a)
			}
		}
		var stderr bytes.Buffer
		if err := run(context.Background(), args, io.Discard, &stderr); err != nil {
			t.Fatalf("service %s: %v %v\n%s", name, args, err, stderr.String())
		}
		tok, err := auth.FileSource(filepath.Join(dir, "payment.token")).Token(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		v, err := auth.NewVerifier(auth.Config{Keys: auth.NewKeySet(kp.Public), Issuer: arg("--issuer")}, paymentapi.Audience)
		if err != nil {
			t.Fatal(err)
		}
		if c, err := v.Verify(tok); err != nil || !slices.Equal(c.Scopes, []string{paymentapi.ScopeRead}) {
			t.Errorf("service %s mints %+v, %v; want a token for payment with payments:read only", name, c, err)
		}
	}
	if len(writers) != 1 {
		t.Errorf("services writing order's token file: %v, want one", writers)
	}
}
