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
	"github.com/sagatrace/sagatrace/internal/ratelimit"
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
	g, err := auth.NewGuard(cfg.Auth, auth.AudienceScoring, ratelimit.Config{}, httpapi.DefaultMaxBodyBytes)
	if err != nil {
		return nil, err
	}
	return &Server{store: store, pending: pending, guard: g, tp: tp, prop: prop, logger: logger}, nil
}

// ScoreView is the answer of GET /v1/scores/{profile_id}. With ?fresh=true,
// Score and Events include Pending, the part not yet committed.
type ScoreView struct {
	Score
	Pending *PendingView `json:"pending,omitempty"`
}

// PendingView is what hot and cold hold for a profile.
type PendingView struct {
	Score  int64 `json:"score"`
	Events int64 `json:"events"`
	// Owned is false when another instance owns the profile's partition;
	// its pending part is then not included.
	Owned bool `json:"owned"`
}

// Handler routes GET /v1/scores/{profile_id}, GET /v1/scores?top=N (both
// behind the guard) and the open health endpoints, with one access-log
// line per request.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	httpapi.Handle(mux, "GET /v1/scores/{profile_id}", s.guard.Read(auth.ScopeScoresRead, s.getScore), s.tp, s.prop)
	httpapi.Handle(mux, "GET /v1/scores", s.guard.Read(auth.ScopeScoresRead, s.top), s.tp, s.prop)
	mux.Handle("GET /healthz", httpapi.Healthz())
	mux.Handle("GET /readyz", httpapi.Readyz(s.store.db.PingContext))
	mux.Handle("/", httpapi.RouteNotFound())
	return httpapi.AccessLog(s.logger, mux)
}

func (s *Server) getScore(w http.ResponseWriter, r *http.Request) error {
	profile := r.PathValue("profile_id")
	fresh := r.URL.Query().Get("fresh")
	if fresh != "" && fresh != "true" && fresh != "false" {
		return httpapi.Invalid(httpapi.TypeInvalidField, "query parameter fresh must be true or false")
	}
	if fresh != "true" || s.pending == nil {
		sc, err := s.store.Score(r.Context(), profile)
		if errors.Is(err, ErrNotFound) {
			return httpapi.NotFound("score-not-found", "profile "+profile+" has no score yet")
		}
		if err != nil {
			return httpapi.Internal(err)
		}
		return httpapi.WriteJSON(w, http.StatusOK, ScoreView{Score: sc})
	}
	// What hot and cold hold first, then the stored score with the
	// partition's offset in one read: the offset says which of the
	// pending batches the store already has, whenever they committed.
	pending, owned, err := s.pending.Pending(r.Context(), profile)
	if err != nil {
		return httpapi.Unavailable("shard-busy", "the profile's shard did not answer").Wrap(err)
	}
	sc, offset, err := s.store.ScoreAndOffset(r.Context(), profile, s.pending.PartitionOf(profile))
	found := err == nil
	if err != nil && !errors.Is(err, ErrNotFound) {
		return httpapi.Internal(err)
	}
	view := ScoreView{Score: sc}
	view.ProfileID = profile
	d := pending.Above(offset)
	view.Pending = &PendingView{Score: d.Score, Events: d.Events, Owned: owned}
	view.Score.Score += d.Score
	view.Events += d.Events
	found = found || d.Events > 0
	if !found {
		return httpapi.NotFound("score-not-found", "profile "+profile+" has no score yet")
	}
	return httpapi.WriteJSON(w, http.StatusOK, view)
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
