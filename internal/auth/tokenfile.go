package auth

import (
	"context"
	"fmt"
	"time"

	"github.com/sagatrace/sagatrace/internal/secretfile"
)

// WriteTokenFile mints a token for g (TTL 0 means MintTTL) and writes it
// to path, readable by its owner only, through a rename: a FileSource
// reading it meanwhile sees the old token or the new one, never half of
// one. It is how a token reaches a component that must not hold the
// private key (the order service's token for reading payments).
func (i *Issuer) WriteTokenFile(path string, g Grant) error {
	if g.TTL == 0 {
		g.TTL = MintTTL
	}
	tok, err := i.Mint(g)
	if err != nil {
		return fmt.Errorf("token file %s: %w", path, err)
	}
	if err := secretfile.Write(path, []byte(tok+"\n"), 0o600); err != nil {
		return fmt.Errorf("token file %s: %w", path, err)
	}
	return nil
}

// RenewTokenFile writes a token for g to path now and again at half its
// lifetime, until ctx ends (nil) or a write fails (its error). A
// FileSource re-reads the file at least every 30 s, far within the other
// half.
func (i *Issuer) RenewTokenFile(ctx context.Context, path string, g Grant) error {
	if g.TTL == 0 {
		g.TTL = MintTTL
	}
	t := time.NewTicker(g.TTL / 2)
	defer t.Stop()
	for {
		if err := i.WriteTokenFile(path, g); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
