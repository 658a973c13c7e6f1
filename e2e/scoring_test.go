package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"testing"
	"time"

	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/services/scoring/scoringapi"
)

// A plain `nats pub` (core NATS, no headers) of the operator, with the
// context file `sagatrace dev` writes, lands in the stream and changes the
// score.
func TestNATSPubChangesTheScore(t *testing.T) {
	profile := "p-pub-" + ids.NewDTID()[:8]
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	for range 3 {
		out, err := exec.CommandContext(ctx, shared.tools.NATS, "--context", shared.stack.NATSContext,
			"pub", "scoring.events."+profile, `{"profile_id":"`+profile+`","kind":"like","delta":2}`).CombinedOutput()
		if err != nil {
			t.Fatalf("nats pub: %v\n%s", err, out)
		}
	}
	eventually(t, 20*time.Second, func() (bool, string) {
		sc, found := getScore(t, profile)
		return found && sc.Score == 6 && sc.Events == 3, fmt.Sprintf("score is %+v, want 6 from 3 events", sc)
	})
}

// getScore reads a profile's score; found is false while it has none (404).
func getScore(t *testing.T, profile string) (sc scoringapi.Score, found bool) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, shared.stack.Scoring.URL()+"/v1/scores/"+profile, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET score: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return sc, false
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET score of %s: %s", profile, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&sc); err != nil {
		t.Fatalf("decode score: %v", err)
	}
	return sc, true
}
