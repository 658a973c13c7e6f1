package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sagatrace/sagatrace/internal/auth"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
)

// keygen then token, as an operator would: the token verifies with the
// public key keygen wrote, for the audience and scopes asked for.
func TestKeygenThenToken(t *testing.T) {
	dir := t.TempDir()
	priv, pub := filepath.Join(dir, "issuer.key"), filepath.Join(dir, "issuer.pub")
	var out bytes.Buffer
	if err := run(context.Background(), []string{"keygen", "--private-key", priv, "--public-key", pub}, &out, &out); err != nil {
		t.Fatalf("keygen: %v\n%s", err, out.String())
	}
	kp, err := auth.EnsureKeyPair(priv, pub)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "made") || !strings.Contains(out.String(), "key ID       "+auth.KeyID(kp.Public)) {
		t.Errorf("keygen output: %s, want the pair made and its key ID", out.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"keygen", "--private-key", priv, "--public-key", pub}, &out, &out); err != nil || !strings.Contains(out.String(), "kept") {
		t.Errorf("second keygen: %v %s, want the pair kept", err, out.String())
	}
	var stdout, stderr bytes.Buffer
	err = run(context.Background(), []string{"token", "--key", priv, "--aud", "payment", "--scope", "payments:read,payments:write", "--subject", "ops"}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("token: %v\n%s", err, stderr.String())
	}
	key, err := auth.LoadPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewVerifier(auth.Config{Keys: auth.NewKeySet(key)}, paymentapi.Audience)
	if err != nil {
		t.Fatal(err)
	}
	tok := strings.TrimSpace(stdout.String())
	header, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
	if !strings.Contains(string(header), `"kid":"`+auth.KeyID(kp.Public)+`"`) {
		t.Errorf("token header %s does not name the key ID keygen printed", header)
	}
	c, err := v.Verify(tok)
	if err != nil || c.Subject != "ops" || !c.Has(paymentapi.ScopeRead) || !c.Has(paymentapi.ScopeWrite) || c.Has(paymentapi.ScopeRefund) {
		t.Errorf("token verifies as %+v, %v", c, err)
	}
}

func TestTokenRefusesWhatWouldNotWork(t *testing.T) {
	dir := t.TempDir()
	priv := filepath.Join(dir, "issuer.key")
	if _, err := auth.EnsureKeyPair(priv, filepath.Join(dir, "issuer.pub")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantReason string
	}{
		{"no_audience", []string{"token", "--key", priv, "--scope", "payments:read"}, 2, "--aud"},
		{"unknown_audience", []string{"token", "--key", priv, "--aud", "payments", "--scope", "payments:read"}, 2, `unknown audience "payments"`},
		{"typo_in_scope", []string{"token", "--key", priv, "--aud", "payment", "--scope", "payments:raed"}, 2, `unknown scope "payments:raed"`},
		{"no_key", []string{"token", "--key", filepath.Join(dir, "none"), "--aud", "payment", "--scope", "payments:read"}, 1, "no such file"},
		{"public_key_as_key", []string{"token", "--key", filepath.Join(dir, "issuer.pub"), "--aud", "payment", "--scope", "payments:read"}, 1, "PRIVATE KEY"},
		{"renew_without_out", []string{"token", "--key", priv, "--aud", "payment", "--scope", "payments:read", "--renew"}, 2, "--renew needs --out"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), tt.args, &stdout, &stderr)
			if code := exitCode(err, &stderr); code != tt.wantCode || !strings.Contains(stderr.String(), tt.wantReason) {
				t.Errorf("exit %d, stderr %q; want %d saying %q", code, stderr.String(), tt.wantCode, tt.wantReason)
			}
			if stdout.Len() != 0 {
				t.Errorf("printed a token anyway: %s", stdout.String())
			}
		})
	}
}

// A service with no public key does not start, and says which flag is
// missing; --auth-disabled must be said out loud.
func TestServiceWithoutAKeyRefusesToStart(t *testing.T) {
	for _, component := range []string{"payment", "order"} {
		t.Run(component, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), []string{"serve", component, "--listen", "127.0.0.1:0",
				"--database-url", filepath.Join(t.TempDir(), component+".db"), "--otlp-endpoint", "http://127.0.0.1:1"}, &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), "--auth-public-key is required") || !strings.Contains(err.Error(), "--auth-disabled") {
				t.Errorf("serve %s without a key = %v, want an error naming --auth-public-key and --auth-disabled", component, err)
			}
		})
	}
}

// token --out writes the token to a file, for a service that reads it
// with a --*-token-file flag and must not hold the private key.
func TestTokenOut(t *testing.T) {
	dir := t.TempDir()
	priv, pub, out := filepath.Join(dir, "issuer.key"), filepath.Join(dir, "issuer.pub"), filepath.Join(dir, "tokens", "payment.token")
	kp, err := auth.EnsureKeyPair(priv, pub)
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"token", "--key", priv, "--aud", "payment", "--scope", "payments:read", "--subject", "order", "--out", out}, &stdout, &stderr); err != nil {
		t.Fatalf("token --out: %v\n%s", err, stderr.String())
	}
	if stdout.Len() != 0 {
		t.Errorf("token --out printed %q", stdout.String())
	}
	tok, err := auth.FileSource(out).Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewVerifier(auth.Config{Keys: auth.NewKeySet(kp.Public)}, paymentapi.Audience)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := v.Verify(tok); err != nil || c.Subject != "order" || !c.Has(paymentapi.ScopeRead) {
		t.Errorf("the token file verifies as %+v, %v", c, err)
	}
}

// serve order names each flag it needs to read payments.
func TestServeOrderNeedsThePaymentService(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "no_token_file", want: "--payment-token-file is required"},
		{name: "empty_url", args: []string{"--payment-url", "", "--payment-token-file", "t"}, want: "--payment-url is required"},
		{name: "bad_url", args: []string{"--payment-url", "payment:8081", "--payment-token-file", "t"}, want: `--payment-url "payment:8081" is not an http(s) base URL`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append([]string{"serve", "order", "--listen", "127.0.0.1:0", "--auth-public-key", "issuer.pub",
				"--database-url", filepath.Join(t.TempDir(), "order.db"), "--otlp-endpoint", "http://127.0.0.1:1"}, tt.args...)
			err := run(context.Background(), args, &stdout, &stderr)
			if code := exitCode(err, &stderr); code != 2 || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("exit %d, stderr %q; want 2 saying %q", code, stderr.String(), tt.want)
			}
		})
	}
}

// An operator mints a console login with `sagatrace token`: audience
// console, console:read and sagas:operate, verified as the console does.
func TestTokenMintsAConsoleLogin(t *testing.T) {
	dir := t.TempDir()
	priv, pub := filepath.Join(dir, "issuer.key"), filepath.Join(dir, "issuer.pub")
	kp, err := auth.EnsureKeyPair(priv, pub)
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"token", "--key", priv, "--aud", "console", "--scope", "console:read,sagas:operate", "--subject", "alice", "--ttl", "8h"}, &stdout, &stderr); err != nil {
		t.Fatalf("token: %v\n%s", err, stderr.String())
	}
	v, err := auth.NewVerifier(auth.Config{Keys: auth.NewKeySet(kp.Public)}, auth.AudienceConsole)
	if err != nil {
		t.Fatal(err)
	}
	c, err := v.Verify(strings.TrimSpace(stdout.String()))
	if err != nil || c.Subject != "alice" || !c.Has(auth.ScopeConsoleRead) || !c.Has(auth.ScopeSagasOperate) {
		t.Errorf("console token verifies as %+v, %v", c, err)
	}
}
