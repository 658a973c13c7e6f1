package natsauth

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nkeys"
)

func TestEnsureKeepsEachRolesSeedPrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nats-auth")
	first, err := Ensure(dir)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(dir)
	if err != nil || info.Mode().Perm() != 0o700 {
		t.Fatalf("dir %s: mode %v, %v; want 0700", dir, info.Mode().Perm(), err)
	}
	seen := map[string]Role{}
	for _, role := range Roles() {
		info, err := os.Stat(first.Seeds[role])
		if err != nil || info.Mode().Perm() != 0o600 {
			t.Errorf("%s's seed: mode %v, %v; want 0600", role, info.Mode().Perm(), err)
		}
		if other, dup := seen[first.Public[role]]; dup || !strings.HasPrefix(first.Public[role], "U") {
			t.Errorf("%s's public key %q (shared with %q)", role, first.Public[role], other)
		}
		seen[first.Public[role]] = role
	}
	again, err := Ensure(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, role := range Roles() {
		if again.Public[role] != first.Public[role] {
			t.Errorf("a second Ensure replaced %s's key: clients holding the old seed are locked out", role)
		}
	}
}

func TestSeedOthersMayReadIsRefused(t *testing.T) {
	keys, err := Ensure(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	seed := keys.Seeds[Worker]
	if err := os.Chmod(seed, 0o644); err != nil {
		t.Fatal(err)
	}
	for name, load := range map[string]func() error{
		"PublicKey": func() error { _, err := PublicKey(seed); return err },
		"Option":    func() error { _, err := Option(seed); return err },
		"Ensure":    func() error { _, err := Ensure(filepath.Dir(seed)); return err },
	} {
		if err := load(); err == nil || !strings.Contains(err.Error(), "chmod 600") {
			t.Errorf("%s of a 0644 seed: %v, want a refusal saying chmod 600", name, err)
		}
	}
}

func TestSeedThatIsNoUserSeedIsRefused(t *testing.T) {
	account, err := nkeys.CreateAccount()
	if err != nil {
		t.Fatal(err)
	}
	accountSeed, err := account.Seed()
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{
		"empty":        "",
		"garbage":      "not a seed\n",
		"account_seed": string(accountSeed) + "\n",
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "x.nk")
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := PublicKey(path); err == nil {
				t.Errorf("%q read as a user seed", content)
			}
		})
	}
}

func TestWriteContextNamesTheSeedByAbsolutePath(t *testing.T) {
	dir := t.TempDir()
	keys, err := Ensure(dir)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "sagatrace.json")
	if err := WriteContext(path, "nats://127.0.0.1:4222", keys.Seeds[Operator]); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("context file: mode %v, %v; want 0600", info.Mode().Perm(), err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var ctx map[string]any
	if err := json.Unmarshal(data, &ctx); err != nil {
		t.Fatal(err)
	}
	if ctx["url"] != "nats://127.0.0.1:4222" || ctx["nkey"] != keys.Seeds[Operator] || !filepath.IsAbs(ctx["nkey"].(string)) {
		t.Errorf("context = %s", data)
	}
}
