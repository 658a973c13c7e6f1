package stack

import (
	"context"
	"fmt"

	"github.com/sagatrace/sagatrace/internal/component"
)

// Wait blocks until ctx ends (nil) or a part of the stack dies on its own
// (its error), so that `sagatrace dev` never keeps running half a stack.
func (s *Stack) Wait(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	died := make(chan error, 8)
	watchProcess := func(name string, done <-chan struct{}, why func() error) {
		go func() {
			select {
			case <-done:
				died <- fmt.Errorf("%s exited unexpectedly: %v (see its log in %s)", name, why(), s.cfg.DataDir)
			case <-ctx.Done():
			}
		}()
	}
	watchProcess("temporal", s.Temporal.Done(), s.Temporal.Err)
	watchProcess("jaeger", s.Jaeger.Done(), s.Jaeger.Err)
	running := []*component.Running{s.Scoring, s.Worker, s.Console}
	for _, r := range s.services {
		running = append(running, r)
	}
	for _, c := range running {
		go func() {
			select {
			case err := <-c.Done():
				died <- err
			case <-ctx.Done():
			}
		}()
	}
	select {
	case <-ctx.Done():
		return nil
	case err := <-died:
		return err
	}
}
