package faults

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/sagatrace/sagatrace/internal/ids"
)

type planKey struct{}
type attemptKey struct{}

// WithPlan returns ctx whose calls into services carry plan, in the
// header's format, as X-Sagatrace-Faults.
func WithPlan(ctx context.Context, plan string) context.Context {
	return context.WithValue(ctx, planKey{}, plan)
}

// PlanFrom returns the plan set by WithPlan, or "".
func PlanFrom(ctx context.Context) string {
	s, _ := ctx.Value(planKey{}).(string)
	return s
}

// WithAttempt returns ctx whose calls into services say, in
// X-Sagatrace-Attempt, that they are attempt n at their operation.
func WithAttempt(ctx context.Context, n int) context.Context {
	return context.WithValue(ctx, attemptKey{}, n)
}

// AttemptFrom returns the attempt set by WithAttempt, or 0.
func AttemptFrom(ctx context.Context) int {
	n, _ := ctx.Value(attemptKey{}).(int)
	return n
}

// SetHeaders adds ctx's plan and attempt to the headers of an outgoing
// write, unless h already has them.
func SetHeaders(ctx context.Context, h http.Header) {
	if plan := PlanFrom(ctx); plan != "" && h.Get(ids.HeaderFaults) == "" {
		h.Set(ids.HeaderFaults, plan)
	}
	if n := AttemptFrom(ctx); n > 0 && h.Get(HeaderAttempt) == "" {
		h.Set(HeaderAttempt, strconv.Itoa(n))
	}
}

// ParseAttempt reads an X-Sagatrace-Attempt value: "" is 0 (unknown),
// anything else must be a positive integer.
func ParseAttempt(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%s: %q is not a positive attempt number", HeaderAttempt, s)
	}
	return n, nil
}
