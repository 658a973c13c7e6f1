package scoring

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace/noop"

	"github.com/sagatrace/sagatrace/internal/auth"
	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/servicetest"
	"github.com/sagatrace/sagatrace/internal/telemetry"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
	"github.com/sagatrace/sagatrace/services/scoring/scoringapi"
)

// The scores API answers only tokens for audience scoring with
// scores:read; health stays open for probes.
func TestScoresAPINeedsScoresRead(t *testing.T) {
	ctx := t.Context()
	store := openStore(t, filepath.Join(t.TempDir(), "scoring.db"))
	if err := store.CommitBatch(ctx, &Batch{Partition: 0, LastSeq: 1, Deltas: map[string]Delta{"p-auth": {Score: 7, Events: 1}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := NewServer(ServerConfig{}, store, nil, noop.NewTracerProvider(), telemetry.Propagator(), slog.New(slog.DiscardHandler)); err == nil {
		t.Fatal("a scores API without a public key and without Disabled started")
	}
	api, err := NewServer(ServerConfig{Auth: servicetest.AuthConfig(t)}, store, nil, noop.NewTracerProvider(), telemetry.Propagator(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close)
	expired, err := servicetest.Issuer(t).WithClock(func() time.Time { return time.Now().Add(-time.Hour) }).Mint(auth.Grant{
		Subject: "tester", Audience: []string{scoringapi.Audience}, Scopes: []string{scoringapi.ScopeRead}, TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, auth string
		wantStatus       int
		wantBody         string
	}{
		{name: "score_missing_token", path: "/v1/scores/p-auth", wantStatus: 401, wantBody: auth.TypeMissingToken},
		{name: "board_missing_token", path: "/v1/scores?top=3", wantStatus: 401, wantBody: auth.TypeMissingToken},
		{name: "expired", path: "/v1/scores/p-auth", auth: "Bearer " + expired, wantStatus: 401, wantBody: auth.TypeInvalidToken},
		{name: "payment_audience", path: "/v1/scores/p-auth", wantStatus: 401, wantBody: auth.TypeInvalidToken,
			auth: servicetest.Bearer(t, auth.Grant{Audience: []string{paymentapi.Audience}, Scopes: []string{scoringapi.ScopeRead}})},
		{name: "no_scope", path: "/v1/scores?top=3", wantStatus: 403, wantBody: auth.TypeInsufficientScope,
			auth: servicetest.Bearer(t, auth.Grant{Audience: []string{scoringapi.Audience}})},
		{name: "score", path: "/v1/scores/p-auth", wantStatus: 200, wantBody: `"score":7`,
			auth: servicetest.Bearer(t, auth.Grant{Audience: []string{scoringapi.Audience}, Scopes: []string{scoringapi.ScopeRead}})},
		{name: "health_is_open", path: "/healthz", wantStatus: 200, wantBody: "ok"},
		{name: "readiness_is_open", path: "/readyz", wantStatus: 200, wantBody: "ready"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			resp, body := servicetest.Do(t, http.DefaultClient, req)
			if resp.StatusCode != tt.wantStatus || !strings.Contains(string(body), tt.wantBody) {
				t.Errorf("%d %s, want %d with %s", resp.StatusCode, body, tt.wantStatus, tt.wantBody)
			}
			if resp.StatusCode >= 400 && resp.Header.Get("Content-Type") != httpapi.ContentTypeProblem {
				t.Errorf("Content-Type %q, want problem JSON", resp.Header.Get("Content-Type"))
			}
		})
	}
}
