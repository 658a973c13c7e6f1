package ratelimit

import (
	"fmt"
	"net/http"
	"net/netip"
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

// Defaults of the per-address limit: far above what one client of the
// dev stack sends (the saga worker under `bench saga` sends a few hundred
// requests a second to one service), far below a flood.
const (
	DefaultIPRate  = 1000
	DefaultIPBurst = 2000
)

// PerIP limits each client address to l's rate before anything else
// reads the request — before authentication, whose signature check a
// flood of forged tokens would otherwise pay for. A client over it is
// answered 429 problem+json with Retry-After. The address is the
// connection's, never a header a client can write; IPv6 clients are
// counted by /64, the block one host is usually given.
func (l *Limiter) PerIP(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ip := clientAddr(r.RemoteAddr)
		if ok, wait := l.Allow(ip); !ok {
			secs := RetryAfterSeconds(wait)
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			c := l.Config()
			httpserver.WriteError(w, r, httpserver.TooManyRequests(TypeRateLimited, fmt.Sprintf(
				"%s sends more than %g requests per second (burst %d); retry after %d s", ip, c.Rate, c.Burst, secs)))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// clientAddr is the key of a connection's remote address: the IPv4
// address, or the IPv6 /64 prefix.
func clientAddr(remote string) string {
	ap, err := netip.ParseAddrPort(remote)
	if err != nil {
		return remote
	}
	a := ap.Addr().Unmap()
	if a.Is4() {
		return a.String()
	}
	p, err := a.Prefix(64)
	if err != nil {
		return a.String()
	}
	return p.String()
}
