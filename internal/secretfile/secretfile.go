// Package secretfile writes files that hold a secret (a private key, a
// seed, a token) and checks that such a file is its owner's alone, as ssh
// refuses a private key others may read.
package secretfile

import (
	"fmt"
	"os"
	"path/filepath"
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

// Write writes data to path with perm (0600 for a secret) through a
// temporary file in the same directory and a rename, so that a reader
// never sees half a file. It makes a missing directory 0700, or 0755 when
// perm lets others read (a public key beside its private half).
func Write(path string, data []byte, perm os.FileMode) error {
	dirPerm := os.FileMode(0o700) // a directory made for a private key stays private
	if perm&0o044 != 0 {
		dirPerm = 0o755
	}
	if err := os.MkdirAll(filepath.Dir(path), dirPerm); err != nil {
		return fmt.Errorf("make the directory of %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".secretfile-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly after the rename
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
