package ratelimit

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/sagatrace/sagatrace/internal/httpserver"
)

// TypeRateLimited is the problem type of a 429: the caller is over its rate.
const TypeRateLimited = "rate-limited"

// PerCaller limits each caller, as key names it, to l's rate: a caller
// over it is answered 429 with Retry-After, before the handler reads
// anything, and other callers go on.
func (l *Limiter) PerCaller(key func(*http.Request) string) httpserver.Middleware {
	return func(h httpserver.HandlerFunc) httpserver.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) error {
			k := key(r)
			if ok, wait := l.Allow(k); !ok {
				secs := RetryAfterSeconds(wait)
				w.Header().Set("Retry-After", strconv.Itoa(secs))
				c := l.Config()
				return httpserver.TooManyRequests(TypeRateLimited, fmt.Sprintf(
					"%s sends more than %g writes per second (burst %d); retry after %d s", k, c.Rate, c.Burst, secs))
			}
			return h(w, r)
		}
	}
}
