package ledger

import (
	"fmt"

	"github.com/sagatrace/sagatrace/internal/auth"
	"github.com/sagatrace/sagatrace/internal/ratelimit"
)

// Config is a ledger service's configuration (payment.Config and
// order.Config are this type).
type Config struct {
	// FaultsEnabled honours X-Sagatrace-Faults. The dev stack enables it;
	// production must not.
	FaultsEnabled bool
	// MaxBodyBytes bounds a request body; 0 means httpserver.DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Auth checks every API request's bearer token (the service's audience);
	// a server without a public key refuses to start unless Auth.Disabled.
	Auth auth.Config
	// Limits bound each caller's writes; zero fields take the defaults.
	Limits ratelimit.Config
}

// Validate reports every problem of c.
func (c Config) Validate() error {
	if c.MaxBodyBytes < 0 {
		return fmt.Errorf("MaxBodyBytes is %d, want 0 (default) or more", c.MaxBodyBytes)
	}
	return nil
}
