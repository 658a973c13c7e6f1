package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/sagatrace/sagatrace/internal/certs"
)

const certsSynopsis = `Makes the certificates of Temporal's mutual TLS in --out, keeping those that
exist, a directory per holder so that each is given its own and nothing else:
ca/ (ca.pem, ca.key: the CA, for this command only), server/ (server.pem,
server.key and ca.pem: the frontend, and Temporal's services among
themselves; its names are --server-name) and, per --client NAME, NAME/
(NAME.pem, NAME.key, ca.pem). Keys are mode 0600 (0644 for --readable-key).
The frontend trusts client certificates signed by the CA; every client
(serve worker, serve console, start, trace, sagas, the temporal CLI) presents
its own and checks the frontend's against ca.pem (--temporal-tls-ca,
--temporal-tls-cert, --temporal-tls-key, --temporal-tls-server-name).

Rotate a certificate: delete its NAME.pem, run this again (the CA signs a new
one) and restart what uses it. Rotating the CA means new leaves everywhere:
delete the whole directory and restart everything.`

const certsExample = `  sagatrace certs --out /certs
  sagatrace certs --out certs --server-name temporal --server-name localhost --client worker --client console --client cli
  go run ./cmd/sagatrace start --temporal-tls-ca certs/cli/ca.pem --temporal-tls-cert certs/cli/cli.pem --temporal-tls-key certs/cli/cli.key --temporal-tls-server-name temporal --customer c-1 --profile p-1 --amount 1`

// listFlag collects a repeated flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	if v == "" || strings.ContainsAny(v, "/\\") {
		return fmt.Errorf("%q: want a name without slashes", v)
	}
	*l = append(*l, v)
	return nil
}

// certsFlags are the flags of `sagatrace certs`.
type certsFlags struct {
	out                        *string
	servers, clients, readable listFlag
}

// defineCerts declares the flags of `sagatrace certs` on fs.
func defineCerts(fs *flag.FlagSet) *certsFlags {
	f := &certsFlags{}
	f.out = fs.String("out", "", "`directory` to make the certificates in (required)")
	fs.Var(&f.servers, "server-name", "a DNS name or IP address of the frontend, repeatable (default temporal, localhost, 127.0.0.1)")
	fs.Var(&f.clients, "client", "a client certificate to make, by name, repeatable (default worker, console, cli)")
	fs.Var(&f.readable, "readable-key", "make this holder's key (server or a --client) mode 0644, repeatable: for a container running as its image's own user, which could not read a key of this command's user; mount its directory into that container alone")
	return f
}

// options checks the parsed flags and fills in the defaults.
func (f *certsFlags) options() (certs.Options, error) {
	if *f.out == "" {
		return certs.Options{}, usageError{"certs needs --out DIR; see `sagatrace certs --help`"}
	}
	o := certs.Options{Dir: *f.out, ServerNames: f.servers, Clients: f.clients, ReadableKeys: f.readable}
	if len(o.ServerNames) == 0 {
		o.ServerNames = []string{"temporal", "localhost", "127.0.0.1"}
	}
	if len(o.Clients) == 0 {
		o.Clients = []string{"worker", "console", "cli"}
	}
	for _, reserved := range []string{"ca", "server"} {
		if slices.Contains(o.Clients, reserved) {
			return o, usageError{fmt.Sprintf("--client %s: the name of the CA's or the server's files; pick another", reserved)}
		}
	}
	for _, r := range o.ReadableKeys {
		if r != "server" && !slices.Contains(o.Clients, r) {
			return o, usageError{fmt.Sprintf("--readable-key %s: neither server nor a --client", r)}
		}
	}
	return o, nil
}

func runCerts(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("certs --out DIR [flags]", certsSynopsis, certsExample, stderr)
	f := defineCerts(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	o, err := f.options()
	if err != nil {
		return err
	}
	made, err := certs.Make(o)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "made %s, kept %s in %s (server names: %s)\n",
		orNone(made.Files), orNone(made.Kept), o.Dir, strings.Join(o.ServerNames, ", "))
	return nil
}

func orNone(names []string) string {
	if len(names) == 0 {
		return "nothing"
	}
	return strings.Join(names, ", ")
}
