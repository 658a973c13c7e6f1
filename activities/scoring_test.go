package activities

import (
	"errors"
	"testing"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/sagatrace/sagatrace/services/scoring/scoringapi"
)

// An event ID the stream already holds on the first attempt was published
// by someone else: the step fails for good and the saga's score is not
// taken for granted.
func TestPublishScoreRefusesAnEventIDSomeoneElseTook(t *testing.T) {
	rec := &recorder{published: []scoringapi.Event{{EventID: "e-1", ProfileID: "p-1", Kind: "order_completed", Delta: 1000}}}
	a := &ScoringActivities{Hops: testHops(), Scores: rec}
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(a)
	_, err := env.ExecuteActivity(a.PublishScore, PublishScoreInput{DTID: "d-1", EventID: "e-1", ProfileID: "p-1", Kind: "order_completed", Delta: 12})
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || app.Type() != "EventIDTaken" || !app.NonRetryable() {
		t.Fatalf("err = %v, want a final EventIDTaken", err)
	}
	if len(rec.published) != 1 || rec.published[0].Delta != 1000 {
		t.Errorf("stream holds %+v, want only the other publisher's event", rec.published)
	}
}
