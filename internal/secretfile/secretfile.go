// Package secretfile checks that a file holding a secret (a private key, a
// seed) is its owner's alone, as ssh refuses a private key others may read.
package secretfile

import (
	"fmt"
	"os"
)

// Check returns an error naming what (e.g. "nats seed") and the chmod that
// fixes it when group or others may read or change path.
func Check(path, what string) error {
	info, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("%s %s has mode %04o: others than its owner may read or change it; run `chmod 600 %s`", what, path, perm, path)
	}
	return nil
}
