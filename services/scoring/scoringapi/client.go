package scoringapi

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/sagatrace/sagatrace/internal/httpclient"
)

// Client reads scores from a scoring server. Errors the server answered
// are *httpapi.ProblemError.
type Client struct {
	baseURL string
	hc      *http.Client
}

// NewClient returns a client for the server at baseURL
// ("http://127.0.0.1:8083") using hc, typically httpclient.NewHTTPClient
// behind a token source for audience scoring with scope scores:read.
func NewClient(baseURL string, hc *http.Client) *Client {
	return &Client{baseURL: strings.TrimRight(baseURL, "/"), hc: hc}
}

// Score returns profileID's committed score; with fresh, also what the
// owning instance still holds in hot and cold (ScoreView.Pending).
func (c *Client) Score(ctx context.Context, profileID string, fresh bool) (ScoreView, error) {
	u := c.baseURL + "/v1/scores/" + url.PathEscape(profileID)
	if fresh {
		u += "?fresh=true"
	}
	var v ScoreView
	if err := httpclient.Do(ctx, c.hc, http.MethodGet, u, nil, nil, &v); err != nil {
		return ScoreView{}, fmt.Errorf("scoring: score of %s: %w", profileID, err)
	}
	return v, nil
}

// Top returns the n highest scores, highest first.
func (c *Client) Top(ctx context.Context, n int) (Leaderboard, error) {
	var b Leaderboard
	if err := httpclient.Do(ctx, c.hc, http.MethodGet, c.baseURL+"/v1/scores?top="+strconv.Itoa(n), nil, nil, &b); err != nil {
		return Leaderboard{}, fmt.Errorf("scoring: top %d: %w", n, err)
	}
	return b, nil
}
