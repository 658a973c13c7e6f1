// Package shutdown undoes a start: what started registers how to stop it,
// and a stop runs those in reverse, so that what started last (and may
// use what started before it) stops first.
package shutdown

import (
	"context"
	"errors"
	"slices"
)

// Funcs are the stop functions of what started, in the order it started.
// The zero value is ready to use.
type Funcs []func(context.Context) error

// Add registers f, to run before every function added earlier.
func (fs *Funcs) Add(f func(context.Context) error) { *fs = append(*fs, f) }

// Run calls the functions, the last added first, each one even when an
// earlier one failed, and returns their errors joined. It empties fs, so a
// second Run does nothing.
func (fs *Funcs) Run(ctx context.Context) error {
	var errs []error
	for _, f := range slices.Backward(*fs) {
		if err := f(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	*fs = nil
	return errors.Join(errs...)
}
