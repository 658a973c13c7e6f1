package scoring

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/sagatrace/sagatrace/internal/httpapi"
)

// Server serves the scores API.
type Server struct {
	store  *Store
	tp     trace.TracerProvider
	prop   propagation.TextMapPropagator
	logger *slog.Logger
}

// NewServer returns the scores API over store.
func NewServer(store *Store, tp trace.TracerProvider, prop propagation.TextMapPropagator, logger *slog.Logger) *Server {
	return &Server{store: store, tp: tp, prop: prop, logger: logger}
}

// Handler routes GET /v1/scores/{profile_id}, GET /v1/scores?top=N and the
// health endpoints, with one access-log line per request.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	httpapi.Handle(mux, "GET /v1/scores/{profile_id}", httpapi.HandlerFunc(s.getScore), s.tp, s.prop)
	httpapi.Handle(mux, "GET /v1/scores", httpapi.HandlerFunc(s.top), s.tp, s.prop)
	mux.Handle("GET /healthz", httpapi.Healthz())
	mux.Handle("GET /readyz", httpapi.Readyz(s.store.db.PingContext))
	mux.Handle("/", httpapi.RouteNotFound())
	return httpapi.AccessLog(s.logger, mux)
}

func (s *Server) getScore(w http.ResponseWriter, r *http.Request) error {
	profile := r.PathValue("profile_id")
	sc, err := s.store.Score(r.Context(), profile)
	if errors.Is(err, ErrNotFound) {
		return httpapi.NotFound("score-not-found", "profile "+profile+" has no score yet")
	}
	if err != nil {
		return httpapi.Internal(err)
	}
	return httpapi.WriteJSON(w, http.StatusOK, sc)
}

// Leaderboard is the answer of GET /v1/scores?top=N.
type Leaderboard struct {
	Items []Score `json:"items"`
}

func (s *Server) top(w http.ResponseWriter, r *http.Request) error {
	n := 10
	if v := r.URL.Query().Get("top"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 || n > 1000 {
			return httpapi.Invalid(httpapi.TypeInvalidField, "query parameter top must be an integer between 1 and 1000")
		}
	}
	items, err := s.store.Top(r.Context(), n)
	if err != nil {
		return httpapi.Internal(err)
	}
	return httpapi.WriteJSON(w, http.StatusOK, Leaderboard{Items: append([]Score{}, items...)})
}
