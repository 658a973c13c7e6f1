package console

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/sagatrace/sagatrace/internal/httpserver"
	"github.com/sagatrace/sagatrace/services/scoring/scoringapi"
)

// ScoringClient reads what the scoring page shows: the leaderboard from
// the scores API and the per-partition lag from the service's /metrics.
type ScoringClient struct {
	BaseURL string // e.g. http://127.0.0.1:8083
	HTTP    *http.Client
}

// LeaderboardSize is how many profiles the scoring page ranks.
const LeaderboardSize = 10

// Leaderboard returns the top profiles.
func (c *ScoringClient) Leaderboard(ctx context.Context) ([]scoringapi.Score, error) {
	board, err := scoringapi.NewClient(c.BaseURL, c.HTTP).Top(ctx, LeaderboardSize)
	if err != nil {
		return nil, fmt.Errorf("scoring leaderboard: %w", err)
	}
	return board.Items, nil
}

// PartitionLag is one shard's backlog: messages of its partition not yet
// delivered to it.
type PartitionLag struct {
	Partition int     `json:"partition"`
	Lag       float64 `json:"lag"`
}

// lagMetric is the gauge the scoring service exports per partition.
const lagMetric = "scoring_partition_lag"

// Lag reads scoring_partition_lag{partition="N"} from /metrics.
func (c *ScoringClient) Lag(ctx context.Context) ([]PartitionLag, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.BaseURL+"/metrics", nil)
	if err != nil {
		return nil, fmt.Errorf("scoring metrics: %w", err)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scoring metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scoring metrics: GET %s/metrics: %s", c.BaseURL, resp.Status)
	}
	return parseLag(resp.Body)
}

// parseLag picks the lag gauge out of Prometheus' text format. A full
// exposition parser is not needed for one gauge with one label.
func parseLag(r io.Reader) ([]PartitionLag, error) {
	var out []PartitionLag
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	prefix := lagMetric + `{partition="`
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), prefix)
		if !ok {
			continue
		}
		part, value, ok := strings.Cut(rest, `"} `)
		p, perr := strconv.Atoi(part)
		v, verr := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if !ok || perr != nil || verr != nil {
			return nil, fmt.Errorf("scoring metrics: unreadable line %q", sc.Text())
		}
		out = append(out, PartitionLag{Partition: p, Lag: v})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("scoring metrics: %w", err)
	}
	slices.SortFunc(out, func(a, b PartitionLag) int { return a.Partition - b.Partition })
	return out, nil
}

// scoringView is the scoring page, and the JSON its script refreshes from.
type scoringView struct {
	Leaderboard      []scoringapi.Score `json:"leaderboard"`
	LeaderboardError string             `json:"leaderboard_error,omitempty"`
	Lag              []PartitionLag     `json:"lag"`
	LagError         string             `json:"lag_error,omitempty"`
	TotalLag         float64            `json:"total_lag"`
}

func (s *Server) readScoring(ctx context.Context) scoringView {
	var v scoringView
	var wg sync.WaitGroup
	wg.Go(func() {
		board, err := s.cfg.Scoring.Leaderboard(ctx)
		v.Leaderboard = append([]scoringapi.Score{}, board...)
		if err != nil {
			v.LeaderboardError = err.Error()
		}
	})
	wg.Go(func() {
		lag, err := s.cfg.Scoring.Lag(ctx)
		v.Lag = append([]PartitionLag{}, lag...)
		if err != nil {
			v.LagError = err.Error()
		}
	})
	wg.Wait()
	for _, l := range v.Lag {
		v.TotalLag += l.Lag
	}
	return v
}

func (s *Server) showScoring(w http.ResponseWriter, r *http.Request) error {
	v := s.readScoring(r.Context())
	return s.render(w, http.StatusOK, "scoring", layoutData{Title: "Scoring", Section: "scoring", Page: v})
}

func (s *Server) scoringJSON(w http.ResponseWriter, r *http.Request) error {
	return httpserver.WriteJSON(w, http.StatusOK, s.readScoring(r.Context()))
}
