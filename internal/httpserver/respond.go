package httpserver

import (
	"encoding/json"
	"net/http"

	"github.com/sagatrace/sagatrace/internal/httpapi"
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

// RouteNotFound answers every request with a 404 problem. Registered as the
// mux's "/" pattern, it keeps even unknown paths in problem+json. The
// detail does not repeat the path (no 404 does): the client sent it, and
// the problem's instance member holds it, redacted.
func RouteNotFound() http.Handler {
	return HandlerFunc(func(_ http.ResponseWriter, r *http.Request) error {
		return NotFound(httpapi.TypeRouteNotFound, "no route for "+r.Method+" at this path (see instance)")
	})
}

// Middleware wraps a handler with a check or a bound of its own: a token
// check, a rate limit, a body limit.
type Middleware func(HandlerFunc) HandlerFunc

// Chain wraps h in mws, the first outermost: Chain(h, a, b) runs a, then
// b, then h, and a refusal of a stops the request before b sees it.
func Chain(h HandlerFunc, mws ...Middleware) HandlerFunc {
	for i := len(mws) - 1; i >= 0; i-- {
		h = mws[i](h)
	}
	return h
}
