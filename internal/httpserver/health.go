package httpserver

import (
	"context"
	"net/http"
	"time"

	"github.com/sagatrace/sagatrace/internal/httpapi"
)

// readyTimeout bounds one readiness check: a probe that hangs is a no.
const readyTimeout = 2 * time.Second

// Healthz answers 200 while the process can serve HTTP at all (liveness).
// Health endpoints are registered without tracing: probes every few
// seconds would bury the hop traces.
func Healthz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_ = WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
}

// Readyz answers 200 when check passes (e.g. db.PingContext) and a 503
// problem otherwise, so a load balancer stops sending work.
func Readyz(check func(context.Context) error) http.Handler {
	return HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		if err := check(ctx); err != nil {
			return Unavailable(httpapi.TypeNotReady, "a dependency is not ready").Wrap(err)
		}
		return WriteJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
}
