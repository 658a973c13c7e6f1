package shutdown

import (
	"context"
	"errors"
	"slices"
	"testing"
)

// Every function runs, last added first, even after one fails; the
// errors come back joined, and a second Run has nothing left to do.
func TestRunStopsInReverseAndJoinsErrors(t *testing.T) {
	errDB, errNATS := errors.New("db"), errors.New("nats")
	var ran []string
	stop := func(name string, err error) func(context.Context) error {
		return func(context.Context) error { ran = append(ran, name); return err }
	}
	var fs Funcs
	fs.Add(stop("db", errDB))
	fs.Add(stop("nats", errNATS))
	fs.Add(stop("server", nil))

	err := fs.Run(t.Context())
	if want := []string{"server", "nats", "db"}; !slices.Equal(ran, want) {
		t.Errorf("ran %v, want %v", ran, want)
	}
	if !errors.Is(err, errDB) || !errors.Is(err, errNATS) {
		t.Errorf("Run = %v, want both errors", err)
	}
	ran = nil
	if err := fs.Run(t.Context()); err != nil || len(ran) != 0 {
		t.Errorf("second Run ran %v and returned %v, want nothing", ran, err)
	}
}
