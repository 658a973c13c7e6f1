// Package auth is who may call sagatrace's services: bearer JWTs signed
// with Ed25519 (EdDSA) by an issuer that holds the private key, checked by
// the services with the public key alone. A token names its caller (sub),
// the services it is for (aud: payment, order, scoring) and what it may do
// there (scope, space-separated as in OAuth 2.0). The package holds the
// keys (PEM files), minting and verifying, the HTTP guard every service
// route sits behind (the token and the route's scope), and the token
// sources that callers' HTTP clients use. Each service's audience and
// scopes are declared by its contract package (paymentapi, orderapi,
// scoringapi).
//
// Why Ed25519: the services only ever need the public key, so a
// compromised service cannot mint tokens (with HMAC every verifier could);
// its keys are 32 bytes, its signatures fast and deterministic, and it has
// none of RSA's padding or ECDSA's nonce pitfalls.
package auth

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// ScopeFaultsInject lets a request's X-Sagatrace-Faults plan count, on a
// service started with faults enabled; every service that takes fault
// plans checks it.
const ScopeFaultsInject = "faults:inject"

// The console's audience and scopes: a person logs in to the console with
// a token for AudienceConsole; console:read shows its pages, and the
// operator actions (retry-compensation, resolve-compensation, the batch
// retry) need sagas:operate as well.
const (
	AudienceConsole   = "console"
	ScopeConsoleRead  = "console:read"
	ScopeSagasOperate = "sagas:operate"
)

// DefaultIssuer is the iss claim when none is configured.
const DefaultIssuer = "sagatrace"

// Registry lists every audience and the scopes its service checks, so
// that a typo in `sagatrace token --scope` is refused before it mints a
// token every service would refuse. The list is made where the services
// are started (component.Registry), from their contract packages.
type Registry map[string][]string

// Audiences returns the known audiences, sorted.
func (r Registry) Audiences() []string { return slices.Sorted(maps.Keys(r)) }

// Scopes returns every scope of every audience, sorted, each once.
func (r Registry) Scopes() []string {
	var all []string
	for _, scopes := range r {
		all = append(all, scopes...)
	}
	slices.Sort(all)
	return slices.Compact(all)
}

// Check reports every audience and scope of g that the registry does not
// know, naming the known ones.
func (r Registry) Check(g Grant) error {
	var errs []error
	for _, a := range g.Audience {
		if _, ok := r[a]; !ok {
			errs = append(errs, fmt.Errorf("unknown audience %q; known: %s", a, strings.Join(r.Audiences(), ", ")))
		}
	}
	known := r.Scopes()
	for _, s := range g.Scopes {
		if !slices.Contains(known, s) {
			errs = append(errs, fmt.Errorf("unknown scope %q; known: %s", s, strings.Join(known, ", ")))
		}
	}
	return errors.Join(errs...)
}

// SplitList splits flag values like "payments:read,orders:read" or
// "payments:read orders:read" into their items.
func SplitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}
