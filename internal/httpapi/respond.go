package httpapi

import (
	"encoding/json"
	"net/http"
)

// HandlerFunc is a handler that returns its failure instead of writing it,
// so every error path ends in WriteError and none forgets to return.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// ServeHTTP runs f and answers its error as a problem.
func (f HandlerFunc) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := f(w, r); err != nil {
		WriteError(w, r, err)
	}
}

// WriteJSON answers v as JSON with status.
func WriteJSON(w http.ResponseWriter, status int, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return Internal(err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	// The status is sent; a failed write means the client left.
	_, _ = w.Write(append(body, '\n'))
	return nil
}

// TypeRouteNotFound is the problem type for a path no route serves.
const TypeRouteNotFound = "route-not-found"

// RouteNotFound answers every request with a 404 problem. Registered as the
// mux's "/" pattern, it keeps even unknown paths in problem+json.
func RouteNotFound() http.Handler {
	return HandlerFunc(func(_ http.ResponseWriter, r *http.Request) error {
		return NotFound(TypeRouteNotFound, "no route for "+r.Method+" "+r.URL.Path)
	})
}
