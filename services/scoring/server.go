package scoring

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/sagatrace/sagatrace/internal/auth"
	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/httpserver"
	"github.com/sagatrace/sagatrace/services/scoring/scoringapi"
)

// PendingSource answers what is applied but not yet committed for a
// profile, batch by batch; the Consumer is one. owned is false when another
// instance owns the profile's partition.
type PendingSource interface {
	Pending(ctx context.Context, profile string) (pending Pending, owned bool, err error)
	PartitionOf(profile string) int
}

// ServerConfig configures the scores API.
type ServerConfig struct {
	// Auth checks every API request's bearer token (audience "scoring",
	// scope scores:read); a server without a public key refuses to start
	// unless Auth.Disabled.
	Auth auth.Config
}

// Server serves the scores API.
type Server struct {
	store   *Store
	pending PendingSource
	guard   *auth.Guard
	tp      trace.TracerProvider
	prop    propagation.TextMapPropagator
	logger  *slog.Logger
}

// NewServer returns the scores API over store; pending, which may be nil,
// adds what is still in hot and cold when a client asks for ?fresh=true.
func NewServer(cfg ServerConfig, store *Store, pending PendingSource, tp trace.TracerProvider, prop propagation.TextMapPropagator, logger *slog.Logger) (*Server, error) {
	// The API only reads: no writes to rate-limit, no bodies to bound.
	g, err := auth.NewGuard(cfg.Auth, scoringapi.Audience)
	if err != nil {
		return nil, err
	}
	return &Server{store: store, pending: pending, guard: g, tp: tp, prop: prop, logger: logger}, nil
}

// Handler routes GET /v1/scores/{profile_id}, GET /v1/scores?top=N (both
// behind the guard) and the open health endpoints, with one access-log
// line per request.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	httpserver.Handle(mux, "GET /v1/scores/{profile_id}", httpserver.Chain(s.getScore, s.guard.Require(scoringapi.ScopeRead)), s.tp, s.prop)
	httpserver.Handle(mux, "GET /v1/scores", httpserver.Chain(s.top, s.guard.Require(scoringapi.ScopeRead)), s.tp, s.prop)
	mux.Handle("GET /healthz", httpserver.Healthz())
	mux.Handle("GET /readyz", httpserver.Readyz(s.store.db.PingContext))
	mux.Handle("/", httpserver.RouteNotFound())
	return httpserver.AccessLog(s.logger, mux)
}

func (s *Server) getScore(w http.ResponseWriter, r *http.Request) error {
	profile := r.PathValue("profile_id")
	fresh := r.URL.Query().Get("fresh")
	if fresh != "" && fresh != "true" && fresh != "false" {
		return httpserver.Invalid(httpapi.TypeInvalidField, "query parameter fresh must be true or false")
	}
	if fresh != "true" || s.pending == nil {
		sc, err := s.store.Score(r.Context(), profile)
		if errors.Is(err, ErrNotFound) {
			return httpserver.NotFound("score-not-found", "the profile in the path has no score yet")
		}
		if err != nil {
			return httpserver.Internal(err)
		}
		return httpserver.WriteJSON(w, http.StatusOK, ScoreView{Score: sc})
	}
	// What hot and cold hold first, then the stored score with the
	// partition's offset in one read: the offset says which of the
	// pending batches the store already has, whenever they committed.
	pending, owned, err := s.pending.Pending(r.Context(), profile)
	if err != nil {
		return httpserver.Unavailable("shard-busy", "the profile's shard did not answer").Wrap(err)
	}
	sc, offset, err := s.store.ScoreAndOffset(r.Context(), profile, s.pending.PartitionOf(profile))
	found := err == nil
	if err != nil && !errors.Is(err, ErrNotFound) {
		return httpserver.Internal(err)
	}
	view := ScoreView{Score: sc}
	view.ProfileID = profile
	d := pending.Above(offset)
	view.Pending = &PendingView{Score: d.Score, Events: d.Events, Owned: owned}
	view.Score.Score += d.Score
	view.Events += d.Events
	found = found || d.Events > 0
	if !found {
		return httpserver.NotFound("score-not-found", "the profile in the path has no score yet")
	}
	return httpserver.WriteJSON(w, http.StatusOK, view)
}

func (s *Server) top(w http.ResponseWriter, r *http.Request) error {
	n := 10
	if v := r.URL.Query().Get("top"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 || n > 1000 {
			return httpserver.Invalid(httpapi.TypeInvalidField, "query parameter top must be an integer between 1 and 1000")
		}
	}
	items, err := s.store.Top(r.Context(), n)
	if err != nil {
		return httpserver.Internal(err)
	}
	return httpserver.WriteJSON(w, http.StatusOK, Leaderboard{Items: append([]Score{}, items...)})
}
