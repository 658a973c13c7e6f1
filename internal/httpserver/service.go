package httpserver

import (
	"context"
	"log/slog"
	"net/http"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// DefaultMaxBodyBytes bounds a request body when a service's Config leaves
// its MaxBodyBytes at 0.
const DefaultMaxBodyBytes = 64 << 10

// Routes maps a service's patterns ("POST /v1/payments") to their handlers.
type Routes map[string]HandlerFunc

// ServiceHandler returns the handler of a service: routes, each traced by
// Handle with tp and prop, plus what every service serves the same way —
// /healthz, /readyz answering with ready (e.g. the store's ping), and
// problem+json for paths no route serves — all behind one access log to
// logger.
func ServiceHandler(routes Routes, ready func(context.Context) error, tp trace.TracerProvider, prop propagation.TextMapPropagator, logger *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	for pattern, h := range routes {
		Handle(mux, pattern, h, tp, prop)
	}
	mux.Handle("GET /healthz", Healthz())
	mux.Handle("GET /readyz", Readyz(ready))
	mux.Handle("/", RouteNotFound())
	return AccessLog(logger, mux)
}
