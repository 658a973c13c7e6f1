package natsauth

import (
	"fmt"
	"sort"
	"strings"
)

// KeyVariable is the nats-server configuration variable that holds role's
// public key: the server's configuration names the variable, a file of
// [UsersConfig] (or the environment) sets it.
func KeyVariable(role Role) string { return strings.ToUpper(string(role)) + "_NKEY" }

// UsersConfig is a nats-server configuration file that sets the
// [KeyVariable] of each role in public, for a configuration that includes
// it. It holds public keys only: it may be read by anyone.
func UsersConfig(public map[Role]string) string {
	var b strings.Builder
	b.WriteString("# Made by `sagatrace nats-keys`: the public nkeys of sagatrace's NATS users.\n")
	roles := make([]string, 0, len(public))
	for r := range public {
		roles = append(roles, string(r))
	}
	sort.Strings(roles)
	for _, r := range roles {
		fmt.Fprintf(&b, "%s: %q\n", KeyVariable(Role(r)), public[Role(r)])
	}
	return b.String()
}

// AuthorizationConfig is the authorization block of a nats-server
// configuration: every role's user, by its [KeyVariable], with its
// [Permissions]. compose's NATS configuration holds exactly this.
func AuthorizationConfig() string {
	var b strings.Builder
	b.WriteString("authorization {\n  users = [\n")
	for _, role := range Roles() {
		p := Permissions(role)
		fmt.Fprintf(&b, "    # %s\n    {\n      nkey: $%s\n      permissions: {\n", role, KeyVariable(role))
		fmt.Fprintf(&b, "        publish: { allow: %s }\n", list(p.Publish.Allow))
		fmt.Fprintf(&b, "        subscribe: { allow: %s }\n", list(p.Subscribe.Allow))
		b.WriteString("      }\n    }\n")
	}
	b.WriteString("  ]\n}\n")
	return b.String()
}

func list(subjects []string) string {
	quoted := make([]string, len(subjects))
	for i, s := range subjects {
		quoted[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}
