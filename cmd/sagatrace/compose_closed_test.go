package main

import (
	"bytes"
	"context"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/nats-io/nats-server/v2/server"

	"github.com/sagatrace/sagatrace/internal/natsauth"
)

// composeTestEnv stands for the .env scripts/compose-env.sh makes: compose
// refuses to start without these passwords.
var composeTestEnv = []string{
	"PG_ADMIN_PASSWORD=test-admin", "PG_TEMPORAL_PASSWORD=test-temporal",
	"PG_PAYMENT_PASSWORD=test-payment", "PG_ORDER_PASSWORD=test-order", "PG_SCORING_PASSWORD=test-scoring",
}

// publishedEverywhere are the services a user on another host must reach:
// the console (its own login guards it). Everything else publishes on
// 127.0.0.1 at most.
var publishedEverywhere = []string{"console"}

func TestComposePublishesNoInfrastructureOnAllInterfaces(t *testing.T) {
	for name, svc := range loadCompose(t).Services {
		for _, pm := range svc.Ports {
			loopback := pm.HostIP == "127.0.0.1" || pm.HostIP == "::1"
			if !loopback && !slices.Contains(publishedEverywhere, name) {
				t.Errorf("service %s publishes port %d on %q (all interfaces if empty); bind it to 127.0.0.1 or drop it", name, pm.Target, pm.HostIP)
			}
		}
	}
}

func TestComposeStillRefusesToStartWithoutPasswords(t *testing.T) {
	saved := composeTestEnv
	defer func() { composeTestEnv = saved }()
	composeTestEnv = nil
	opts, err := composeOptions()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := opts.LoadProject(context.Background()); err == nil || !strings.Contains(err.Error(), "compose-env.sh") {
		t.Errorf("compose.yaml loads without the passwords of .env (err %v): a default password would be a committed secret", err)
	}
}

// env reads a service's environment variable, "" when unset.
func env(svc types.ServiceConfig, k string) string {
	if v := svc.Environment[k]; v != nil {
		return *v
	}
	return ""
}

// Every NATS client connects as its own user: SAGATRACE_NATS_NKEY names
// the seed nats-keys makes for its role, on a volume that no other
// sagatrace component mounts; the server reads deploy/nats/nats.conf and
// the users file nats-keys writes.
func TestComposeGivesEachNATSClientItsOwnUser(t *testing.T) {
	p := loadCompose(t)
	keys, ok := p.Services["nats-keys"]
	if !ok || len(keys.Command) == 0 || keys.Command[0] != "nats-keys" {
		t.Fatal("no nats-keys one-shot makes the NATS users' seeds")
	}
	fs := newFlagSet("nats-keys", "", "", io.Discard)
	seeds := seedFlags{}
	fs.Var(seeds, "seed", "")
	usersFile := fs.String("users", "", "")
	fs.String("dir", "", "")
	if err := fs.Parse(keys.Command[1:]); err != nil {
		t.Fatalf("nats-keys command %v: %v", keys.Command, err)
	}
	// The one-shot's command as the binary runs it, with files of this
	// test's: a seed per role and the users file, twice (the second run
	// keeps the seeds).
	tmp := t.TempDir()
	args := []string{"nats-keys", "--users", filepath.Join(tmp, "users.conf")}
	for role := range seeds {
		args = append(args, "--seed", string(role)+"="+filepath.Join(tmp, string(role)+".nk"))
	}
	var first, second bytes.Buffer
	for _, out := range []*bytes.Buffer{&first, &second} {
		if err := run(context.Background(), args, out, io.Discard); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
	}
	if first.String() != second.String() {
		t.Errorf("a second nats-keys run changed the keys:\n%s\n%s", first.String(), second.String())
	}
	users, err := os.ReadFile(filepath.Join(tmp, "users.conf"))
	if err != nil {
		t.Fatal(err)
	}
	for _, role := range natsauth.Roles() {
		if !strings.Contains(string(users), natsauth.KeyVariable(role)+": \"U") {
			t.Errorf("nats-keys' users file sets no %s:\n%s", natsauth.KeyVariable(role), users)
		}
	}
	volumeOf := func(svc types.ServiceConfig, file string) string {
		v, _ := mounted(svc, file)
		return v.Source
	}
	seedVolume := map[string]natsauth.Role{}
	for _, role := range natsauth.Roles() {
		file, ok := seeds[role]
		if !ok || volumeOf(keys, file) == "" {
			t.Fatalf("nats-keys keeps %s's seed at %q, want a --seed on a volume of its own", role, file)
		}
		if _, dup := seedVolume[volumeOf(keys, file)]; dup {
			t.Errorf("nats-keys keeps two roles' seeds on volume %s", volumeOf(keys, file))
		}
		seedVolume[volumeOf(keys, file)] = role
	}
	wantRole := map[string]natsauth.Role{"worker": natsauth.Worker, "scoring": natsauth.Scoring}
	clients := 0
	for name, svc := range p.Services {
		for _, v := range svc.Volumes {
			if role, ok := seedVolume[v.Source]; ok && name != "nats-keys" && (wantRole[name] != role || !v.ReadOnly) {
				t.Errorf("service %s mounts %s's seed volume %s (read-only %v)", name, role, v.Source, v.ReadOnly)
			}
		}
		if env(svc, "SAGATRACE_NATS_URL") == "" {
			continue
		}
		clients++
		seed := env(svc, "SAGATRACE_NATS_NKEY")
		if want, ok := seeds[wantRole[name]]; !ok || seed != want || volumeOf(svc, seed) != volumeOf(keys, want) {
			t.Errorf("service %s connects to NATS with seed %q, want its own role's %q on the volume nats-keys writes", name, seed, want)
		}
	}
	if clients != 2 {
		t.Errorf("%d services connect to NATS, want the worker and scoring", clients)
	}

	nats, ok := p.Services["nats"]
	if !ok {
		t.Fatal("no nats service")
	}
	conf := ""
	if i := slices.Index(nats.Command, "--config"); i >= 0 && i+1 < len(nats.Command) {
		conf = nats.Command[i+1]
	}
	var confSource string
	for _, v := range nats.Volumes {
		if v.Target == conf && v.Type == types.VolumeTypeBind {
			confSource = v.Source
		}
	}
	if confSource == "" {
		t.Fatalf("nats runs with --config %q, which is not a file of the repository it mounts", conf)
	}
	usersAt := filepath.Join(filepath.Dir(conf), "users")
	if v, ok := mounted(nats, usersAt+"/users.conf"); !ok || v.Source != volumeOf(keys, *usersFile) || filepath.Base(*usersFile) != "users.conf" {
		t.Errorf("nats does not see nats-keys' %s at %s/users.conf", *usersFile, usersAt)
	}
	checkNATSConfig(t, confSource)
}

// checkNATSConfig loads the repository's nats.conf as nats-server does,
// with a users file of fresh keys beside it: every role is a user with
// exactly natsauth's permissions, and there is no other way in.
func checkNATSConfig(t *testing.T, confFile string) {
	t.Helper()
	data, err := os.ReadFile(confFile)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "nats.conf"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	keys, err := natsauth.Ensure(filepath.Join(dir, "seeds"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "users"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "users", "users.conf"), []byte(natsauth.UsersConfig(keys.Public)), 0o644); err != nil {
		t.Fatal(err)
	}
	opts, err := server.ProcessConfigFile(filepath.Join(dir, "nats.conf"))
	if err != nil {
		t.Fatalf("%s: %v", confFile, err)
	}
	if len(opts.Users) != 0 || opts.Username != "" || opts.Authorization != "" || opts.NoAuthUser != "" || len(opts.TrustedOperators) != 0 {
		t.Errorf("%s lets clients in other than by the roles' nkeys", confFile)
	}
	byKey := map[string]*server.NkeyUser{}
	for _, u := range opts.Nkeys {
		byKey[u.Nkey] = u
	}
	if len(byKey) != len(natsauth.Roles()) {
		t.Errorf("%s has %d nkey users, want one per role", confFile, len(byKey))
	}
	for _, role := range natsauth.Roles() {
		u, ok := byKey[keys.Public[role]]
		if !ok {
			t.Errorf("%s has no user with $%s", confFile, natsauth.KeyVariable(role))
			continue
		}
		want := natsauth.Permissions(role)
		if u.Permissions == nil || !slices.Equal(u.Permissions.Publish.Allow, want.Publish.Allow) || !slices.Equal(u.Permissions.Subscribe.Allow, want.Subscribe.Allow) ||
			u.Permissions.Publish.Deny != nil || u.Permissions.Subscribe.Deny != nil {
			t.Errorf("%s: %s's permissions differ from natsauth.Permissions: regenerate its authorization block from natsauth.AuthorizationConfig()", confFile, role)
		}
	}
}

// payment, order and scoring each reach PostgreSQL as their own role, in
// their own database, with a password from the environment; the init
// script that makes those roles is mounted, and Temporal has a role of its
// own too.
func TestComposeGivesEachDatabaseUserItsOwnRole(t *testing.T) {
	p := loadCompose(t)
	pg, ok := p.Services["postgres"]
	if !ok {
		t.Fatal("no postgres service")
	}
	initMounted := false
	for _, v := range pg.Volumes {
		if v.Target == "/docker-entrypoint-initdb.d" && v.Type == types.VolumeTypeBind {
			if _, err := os.Stat(filepath.Join(v.Source, "10-roles.sh")); err == nil {
				initMounted = true
			}
		}
	}
	if !initMounted {
		t.Error("postgres does not mount deploy/postgres/initdb (10-roles.sh) as its init scripts")
	}
	passwords := map[string]string{}
	for _, kv := range composeTestEnv {
		k, v, _ := strings.Cut(kv, "=")
		passwords[k] = v
	}
	for _, svc := range []string{"payment", "order", "scoring"} {
		u, err := url.Parse(env(p.Services[svc], "SAGATRACE_DATABASE_URL"))
		if err != nil {
			t.Fatalf("%s: %v", svc, err)
		}
		pw, _ := u.User.Password()
		if u.User.Username() != svc || strings.TrimPrefix(u.Path, "/") != svc || pw != passwords["PG_"+strings.ToUpper(svc)+"_PASSWORD"] {
			t.Errorf("%s connects as %q to database %q, want role and database %s with PG_%s_PASSWORD", svc, u.User.Username(), u.Path, svc, strings.ToUpper(svc))
		}
		if env(pg, "PG_"+strings.ToUpper(svc)+"_PASSWORD") != pw {
			t.Errorf("postgres's init script does not get %s's password", svc)
		}
	}
	temporal := p.Services["temporal"]
	if env(temporal, "POSTGRES_USER") != "temporal" || env(temporal, "POSTGRES_PWD") != passwords["PG_TEMPORAL_PASSWORD"] || env(pg, "PG_TEMPORAL_PASSWORD") != passwords["PG_TEMPORAL_PASSWORD"] {
		t.Error("temporal does not connect as its own role temporal with PG_TEMPORAL_PASSWORD")
	}
	if env(pg, "POSTGRES_USER") == "temporal" {
		t.Error("temporal is PostgreSQL's administrator")
	}
}
