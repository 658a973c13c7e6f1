package natsauth

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"

	"github.com/sagatrace/sagatrace/internal/secretfile"
)

// Keys are the roles' nkeys: the public keys the server checks, and the
// files holding the seeds the clients sign with.
type Keys struct {
	// Public is each role's public key (U…), which may be shown to anyone.
	Public map[Role]string
	// Seeds is each role's seed file (mode 0600): whoever reads it is
	// that role.
	Seeds map[Role]string
}

// SeedFileName is the name of role's seed file in the directory
// [Ensure] writes.
func SeedFileName(role Role) string { return string(role) + ".nk" }

// Ensure makes a seed for every role that has none in dir (mode 0600 in a
// directory of mode 0700) and keeps those that exist, so a restart keeps
// its users and their clients keep connecting. A seed others may read is
// refused, as ssh refuses such a key.
func Ensure(dir string) (Keys, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Keys{}, fmt.Errorf("nats keys: %w", err)
	}
	keys := Keys{Public: map[Role]string{}, Seeds: map[Role]string{}}
	for _, role := range Roles() {
		path := filepath.Join(dir, SeedFileName(role))
		pub, err := EnsureSeed(path)
		if err != nil {
			return Keys{}, err
		}
		keys.Public[role], keys.Seeds[role] = pub, path
	}
	return keys, nil
}

// EnsureSeed returns the public key of the user seed at path, making the
// seed (mode 0600) first if there is none.
func EnsureSeed(path string) (string, error) {
	pub, err := PublicKey(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return pub, err
	}
	kp, err := nkeys.CreateUser()
	if err != nil {
		return "", fmt.Errorf("nats keys: make %s: %w", path, err)
	}
	seed, err := kp.Seed()
	if err != nil {
		return "", fmt.Errorf("nats keys: make %s: %w", path, err)
	}
	// O_EXCL: two starts racing must not overwrite each other's key.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("nats keys: %w", err)
	}
	_, werr := f.Write(append(seed, '\n'))
	if err := errors.Join(werr, f.Close()); err != nil {
		return "", fmt.Errorf("nats keys: write %s: %w", path, err)
	}
	return kp.PublicKey()
}

// PublicKey reads the user seed file at path and returns its public key.
// A file that others than its owner may read or change is refused.
func PublicKey(path string) (string, error) {
	if err := secretfile.Check(path, "nats seed"); err != nil {
		return "", err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("nats seed: %w", err)
	}
	kp, err := nkeys.FromSeed(bytes.TrimSpace(data))
	if err != nil {
		return "", fmt.Errorf("nats seed %s: not an nkey seed (%v); make one with `sagatrace nats-keys`", path, err)
	}
	defer kp.Wipe()
	pub, err := kp.PublicKey()
	if err != nil {
		return "", fmt.Errorf("nats seed %s: %w", path, err)
	}
	if !nkeys.IsValidPublicUserKey(pub) {
		return "", fmt.Errorf("nats seed %s: not a user seed (SU…)", path)
	}
	return pub, nil
}

// Users are the server's users: one per role, with its permissions.
func (k Keys) Users() []*server.NkeyUser {
	var users []*server.NkeyUser
	for _, role := range Roles() {
		users = append(users, &server.NkeyUser{Nkey: k.Public[role], Permissions: Permissions(role)})
	}
	return users
}

// Option authenticates a client with the seed in seedFile; "" means no
// authentication (a server without users). The file's mode is checked as
// [PublicKey] does.
func Option(seedFile string) (nats.Option, error) {
	if seedFile == "" {
		return func(*nats.Options) error { return nil }, nil
	}
	if _, err := PublicKey(seedFile); err != nil {
		return nil, err
	}
	opt, err := nats.NkeyOptionFromSeed(seedFile)
	if err != nil {
		return nil, fmt.Errorf("nats seed %s: %w", seedFile, err)
	}
	return opt, nil
}
