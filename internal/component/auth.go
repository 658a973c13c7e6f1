package component

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/sagatrace/sagatrace/internal/auth"
)

// ServiceAuth is how a service checks bearer tokens, as its flags give it.
type ServiceAuth struct {
	// PublicKeyFile is the issuer's Ed25519 public keys, PEM
	// (--auth-public-key): a file, a directory of *.pub files, or a
	// comma-separated list of either; several while keys rotate.
	PublicKeyFile string
	// Issuer is the iss claim tokens must carry (--auth-issuer); "" means auth.DefaultIssuer.
	Issuer string
	// MaxTokenLifetime is the longest lifetime a token may have
	// (--auth-max-token-lifetime); 0 means auth.DefaultMaxLifetime.
	MaxTokenLifetime time.Duration
	// Disabled serves the API without authentication (--auth-disabled):
	// never implied by a missing key, never in production.
	Disabled bool
}

// check reports a contradictory or missing setting. A service with
// neither a key nor Disabled is an error naming the flag: it never starts
// open by omission.
func (a ServiceAuth) check(name string) error {
	switch {
	case a.Disabled && a.PublicKeyFile != "":
		return fmt.Errorf("%s: --auth-public-key and --auth-disabled exclude each other", name)
	case !a.Disabled && a.PublicKeyFile == "":
		return fmt.Errorf("%s: --auth-public-key is required: the issuer's Ed25519 public key (PEM) that checks the bearer tokens of API calls "+
			"(`sagatrace keygen` makes a key pair); to serve the API without authentication, say so with --auth-disabled (never in production)", name)
	}
	return nil
}

// load reads the key (see check).
func (a ServiceAuth) load(name string, logger *slog.Logger) (auth.Config, error) {
	if err := a.check(name); err != nil {
		return auth.Config{}, err
	}
	if a.Disabled {
		logger.Warn("authentication is DISABLED (--auth-disabled): anyone who reaches this port may call every operation, faults included when enabled")
		return auth.Config{Disabled: true}, nil
	}
	keys, err := auth.LoadKeySet(a.PublicKeyFile)
	if err != nil {
		return auth.Config{}, fmt.Errorf("%s: --auth-public-key: %w", name, err)
	}
	if a.MaxTokenLifetime < 0 {
		return auth.Config{}, fmt.Errorf("%s: --auth-max-token-lifetime must be positive, got %s", name, a.MaxTokenLifetime)
	}
	logger.Info("checking bearer tokens", slog.Any("key_ids", keys.IDs()))
	return auth.Config{Keys: keys, Issuer: a.Issuer, MaxLifetime: a.MaxTokenLifetime}, nil
}

// credentials loads what a component calling the services (worker,
// console) sends: tokens minted with --auth-key, or the one in
// --auth-token-file. With neither it sends none, which only services
// started with --auth-disabled accept, and says so.
func credentials(name string, cfg auth.ClientConfig, logger *slog.Logger) (*auth.Credentials, error) {
	creds, err := auth.NewCredentials(cfg, name)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("%s: --auth-key / --auth-token-file", name), err)
	}
	if creds == nil {
		logger.Warn("no --auth-key or --auth-token-file: calls to the services carry no bearer token and are refused (401) unless the services run with --auth-disabled")
	}
	return creds, nil
}
