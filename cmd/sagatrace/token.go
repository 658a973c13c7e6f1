package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sagatrace/sagatrace/internal/auth"
	"github.com/sagatrace/sagatrace/internal/component"
	"github.com/sagatrace/sagatrace/internal/natsauth"
)

// devKeyFile is where `sagatrace dev`, run with its default --data-dir,
// keeps the issuer's private key; `token`, `drill` and `bench saga` use it
// by default, as they use the dev stack's addresses.
var devKeyFile = filepath.Join(".sagatrace", "auth", "issuer.key")

// devNATSSeed is where `sagatrace dev`, run with its default --data-dir,
// keeps the nkey seed of a NATS user, the default of the commands that
// connect to its NATS.
func devNATSSeed(role natsauth.Role) string {
	return filepath.Join(".sagatrace", "nats-auth", natsauth.SeedFileName(role))
}

const tokenSynopsis = `Prints a bearer token (a JWT signed with the issuer's Ed25519 private key)
for calling the service APIs with curl or your own client:
  Authorization: Bearer <token>

Audiences and the scopes they check:
  payment   payments:write (charge), payments:refund, payments:read, faults:inject
  order     orders:write (create), orders:cancel, orders:read, faults:inject
  scoring   scores:read
  console   console:read (log in to the console, see its pages),
            sagas:operate (its operator actions: retry-compensation,
            resolve-compensation, the batch retry)
faults:inject lets a request's X-Sagatrace-Faults plan count, on a service
started with faults enabled. By default the key is the one ` + "`sagatrace dev`" + ` keeps
in its data dir.

With --out the token goes to a file (mode 0600, replaced by a rename, so a
reader never sees half of one); with --renew as well it stays running and
writes a new one at half the token's lifetime until stopped: how a service
that must not hold the private key gets its token (the order service's for
reading payments, --payment-token-file), as compose.yaml's order-token does.`

const tokenExample = `  sagatrace token --aud console --scope console:read,sagas:operate --subject alice --ttl 8h   # paste it into the console's login page
  curl -H "Authorization: Bearer $(go run ./cmd/sagatrace token --aud payment --scope payments:read)" http://127.0.0.1:8081/v1/payments
  sagatrace token --aud payment --scope payments:read --subject order --ttl 10m --out /tokens/payment.token --renew
  sagatrace token --aud payment,order --scope payments:write,payments:refund,payments:read,orders:write,orders:cancel,orders:read --subject saga-worker --ttl 24h --key /keys/issuer.key`

func runToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("token --aud AUDIENCE --scope SCOPE [flags]", tokenSynopsis, tokenExample, stderr)
	var g auth.Grant
	defineList(fs, "aud", "service the token is for: payment, order, scoring or console (repeatable, or comma-separated)", &g.Audience)
	defineList(fs, "scope", "scope to grant, e.g. payments:read (repeatable, or comma-separated)", &g.Scopes)
	key := fs.String("key", devKeyFile, "`file` of the issuer's Ed25519 private key, PEM")
	fs.DurationVar(&g.TTL, "ttl", time.Hour, "how long the token is valid")
	fs.StringVar(&g.Subject, "subject", "cli", "the caller the token names (sub); writes are rate-limited per subject")
	issuer := fs.String("issuer", auth.DefaultIssuer, "the iss claim (the services' --auth-issuer)")
	out := fs.String("out", "", "`file` to write the token to (mode 0600, atomically) instead of printing it")
	renew := fs.Bool("renew", false, "with --out: keep running and write a new token at half of --ttl, until stopped (SIGTERM)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *renew && *out == "" {
		return usageError{"--renew needs --out: the file to keep a fresh token in"}
	}
	if len(g.Audience) == 0 || len(g.Scopes) == 0 {
		return usageError{"token needs --aud and --scope, e.g. --aud payment --scope payments:read; see `sagatrace token --help`"}
	}
	if err := errors.Join(g.Validate(), component.Registry().Check(g)); err != nil {
		return usageError{strings.ReplaceAll(err.Error(), "\n", "; ")}
	}
	priv, err := auth.LoadPrivateKey(*key)
	if errors.Is(err, os.ErrNotExist) && *key == devKeyFile {
		return fmt.Errorf("%w; `sagatrace dev` makes it in its data dir on first start (run from the same directory), or pass --key", err)
	}
	if err != nil {
		return fmt.Errorf("--key: %w", err)
	}
	if g.TTL > auth.DefaultMaxLifetime {
		fmt.Fprintf(stderr, "warning: a token living %s is refused by services that keep the default --auth-max-token-lifetime of %s\n", g.TTL, auth.DefaultMaxLifetime)
	}
	iss := auth.NewIssuer(priv, *issuer)
	switch {
	case *renew:
		fmt.Fprintf(stderr, "keeping a token for %s in %s, renewed every %s\n", strings.Join(g.Audience, ","), *out, g.TTL/2)
		return iss.RenewTokenFile(ctx, *out, g)
	case *out != "":
		return iss.WriteTokenFile(*out, g)
	}
	tok, err := iss.Mint(g)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, tok)
	return nil
}

const keygenSynopsis = `Makes the Ed25519 key pair of the token issuer, unless the private key file
exists already (then it is kept, and the public key file rewritten from it):
the private key (mode 0600) goes to whoever mints tokens — the worker
(--auth-key), ` + "`sagatrace token`" + ` —, the public key to every service and the
console (--auth-public-key). ` + "`sagatrace dev`" + ` does this itself in its data dir.

Tokens name their key by its ID (kid, the RFC 7638 thumbprint of the public
key, printed here), so keys rotate without downtime: make a new pair, add its
public key beside the old one on every service (--auth-public-key takes a
directory of *.pub files or a comma-separated list), move the issuers to the
new private key, and remove the old public key once the last token it signed
has expired (at most --auth-max-token-lifetime later).`

func runKeygen(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("keygen [flags]", keygenSynopsis,
		"  sagatrace keygen --private-key /keys/issuer.key --public-key /keys-public/issuer.pub", stderr)
	priv := fs.String("private-key", devKeyFile, "`file` of the private key (PKCS #8 PEM)")
	pub := fs.String("public-key", strings.TrimSuffix(devKeyFile, ".key")+".pub", "`file` of the public key (PKIX PEM)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	_, statErr := os.Stat(*priv)
	kp, err := auth.EnsureKeyPair(*priv, *pub)
	if err != nil {
		return err
	}
	what := "made"
	if statErr == nil {
		what = "kept"
	}
	fmt.Fprintf(stdout, "private key  %s  (%s; for the token issuers: --auth-key)\npublic key   %s  (for the services: --auth-public-key)\nkey ID       %s  (the kid of its tokens, derived from the public key)\n",
		kp.PrivateKeyFile, what, kp.PublicKeyFile, auth.KeyID(kp.Public))
	return nil
}
