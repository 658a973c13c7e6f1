package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/sagatrace/sagatrace/internal/natsauth"
)

const natsKeysSynopsis = `Makes the nkey seed of each NATS user sagatrace knows — worker (publishes
scoring events), scoring (owns the SCORING and SCORING_DLQ streams), operator
(the nats CLI: publishes scoring events, reads streams) — unless it exists
already (then it is kept), each in a file of mode 0600: whoever reads one is
that user. With --users it also writes the users' public keys as nats-server
configuration variables (WORKER_NKEY, …) for a server configuration that
includes the file (compose's nats.conf does). ` + "`sagatrace dev`" + ` does all this itself
in DATA_DIR/nats-auth.

To rotate a user's key: delete its seed, run this again (the server's users
file is rewritten), reload the server (nats-server --signal reload, or
restart it) and restart the components of that user.`

const natsKeysExample = `  sagatrace nats-keys --dir /keys --users /keys/users.conf
  sagatrace nats-keys --seed worker=/w/worker.nk --seed scoring=/s/scoring.nk --seed operator=/o/operator.nk --users /etc/nats/users/users.conf`

// seedFlags collects --seed ROLE=FILE.
type seedFlags map[natsauth.Role]string

func (s seedFlags) String() string { return "" }

func (s seedFlags) Set(v string) error {
	role, file, ok := strings.Cut(v, "=")
	if !ok || file == "" {
		return fmt.Errorf("want ROLE=FILE, e.g. worker=/keys/worker.nk")
	}
	for _, r := range natsauth.Roles() {
		if natsauth.Role(role) == r {
			s[r] = file
			return nil
		}
	}
	return fmt.Errorf("unknown role %q: want %s", role, roleNames())
}

func roleNames() string {
	var names []string
	for _, r := range natsauth.Roles() {
		names = append(names, string(r))
	}
	return strings.Join(names, ", ")
}

func runNATSKeys(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("nats-keys [flags]", natsKeysSynopsis, natsKeysExample, stderr)
	dir := fs.String("dir", filepath.Join(".sagatrace", "nats-auth"), "`directory` of the seeds of the roles without --seed (ROLE.nk)")
	seeds := seedFlags{}
	fs.Var(seeds, "seed", "`ROLE=FILE` keeps ROLE's seed in FILE instead of in --dir (repeatable), so each component's volume holds its own seed only; roles: "+roleNames())
	users := fs.String("users", "", "`file` to write the public keys to, as nats-server configuration variables (mode 0644: public keys only)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	public := map[natsauth.Role]string{}
	for _, role := range natsauth.Roles() {
		file, ok := seeds[role]
		if !ok {
			file = filepath.Join(*dir, natsauth.SeedFileName(role))
			if err := os.MkdirAll(*dir, 0o700); err != nil {
				return fmt.Errorf("--dir: %w", err)
			}
		}
		pub, err := natsauth.EnsureSeed(file)
		if err != nil {
			return err
		}
		public[role] = pub
		fmt.Fprintf(stdout, "%-9s %s  %s\n", role, pub, file)
	}
	if *users != "" {
		if err := os.WriteFile(*users, []byte(natsauth.UsersConfig(public)), 0o644); err != nil {
			return fmt.Errorf("--users: %w", err)
		}
		fmt.Fprintf(stdout, "users     %s  (include it in the server's configuration)\n", *users)
	}
	return nil
}
