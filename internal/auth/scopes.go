// Package auth is who may call sagatrace's services: bearer JWTs signed
// with Ed25519 (EdDSA) by an issuer that holds the private key, checked by
// the services with the public key alone. A token names its caller (sub),
// the services it is for (aud: payment, order, scoring) and what it may do
// there (scope, space-separated as in OAuth 2.0). The package holds the
// keys (PEM files), minting and verifying, the HTTP guard every service
// route sits behind (token, scope, and for writes the caller's rate and
// body limits), and the token sources that callers' HTTP clients use.
//
// Why Ed25519: the services only ever need the public key, so a
// compromised service cannot mint tokens (with HMAC every verifier could);
// its keys are 32 bytes, its signatures fast and deterministic, and it has
// none of RSA's padding or ECDSA's nonce pitfalls.
package auth

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sagatrace/sagatrace/services/order/orderapi"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
	"github.com/sagatrace/sagatrace/services/scoring/scoringapi"
)

// Audiences and scopes are declared by each service's contract package;
// these names keep the callers of auth short.
const (
	AudiencePayment = paymentapi.Audience
	AudienceOrder   = orderapi.Audience
	AudienceScoring = scoringapi.Audience
)

// Scopes, one per kind of operation.
const (
	ScopePaymentsWrite  = paymentapi.ScopeWrite
	ScopePaymentsRefund = paymentapi.ScopeRefund
	ScopePaymentsRead   = paymentapi.ScopeRead
	ScopeOrdersWrite    = orderapi.ScopeWrite
	ScopeOrdersCancel   = orderapi.ScopeCancel
	ScopeOrdersRead     = orderapi.ScopeRead
	ScopeScoresRead     = scoringapi.ScopeRead
	// ScopeFaultsInject lets a request's X-Sagatrace-Faults plan count, on
	// a service started with faults enabled.
	ScopeFaultsInject = "faults:inject"
)

// DefaultIssuer is the iss claim when none is configured.
const DefaultIssuer = "sagatrace"

// scopesOf lists every scope each audience checks.
var scopesOf = map[string][]string{
	AudiencePayment: {ScopePaymentsWrite, ScopePaymentsRefund, ScopePaymentsRead, ScopeFaultsInject},
	AudienceOrder:   {ScopeOrdersWrite, ScopeOrdersCancel, ScopeOrdersRead, ScopeFaultsInject},
	AudienceScoring: {ScopeScoresRead},
}

// Audiences returns the known audiences, sorted.
func Audiences() []string {
	out := make([]string, 0, len(scopesOf))
	for a := range scopesOf {
		out = append(out, a)
	}
	slices.Sort(out)
	return out
}

// ScopesOf returns every scope audience checks, nil for an unknown one.
func ScopesOf(audience string) []string { return slices.Clone(scopesOf[audience]) }

// CheckAudience returns an error naming the known audiences when a is not one.
func CheckAudience(a string) error {
	if _, ok := scopesOf[a]; !ok {
		return fmt.Errorf("unknown audience %q; known: %s", a, strings.Join(Audiences(), ", "))
	}
	return nil
}

// CheckScope returns an error naming the known scopes when s is none of
// them: a typo in a scope would mint a token that is refused later.
func CheckScope(s string) error {
	var known []string
	for _, a := range Audiences() {
		for _, k := range scopesOf[a] {
			if k == s {
				return nil
			}
			if !slices.Contains(known, k) {
				known = append(known, k)
			}
		}
	}
	return fmt.Errorf("unknown scope %q; known: %s", s, strings.Join(known, ", "))
}

// SplitList splits flag values like "payments:read,orders:read" or
// "payments:read orders:read" into their items.
func SplitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}
