package servicetest

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/sagatrace/sagatrace/internal/carddata"
	"github.com/sagatrace/sagatrace/internal/carddata/cardtest"
)

// CardDoor is one place of a request where a client may put a card
// number: a header, a body field, a path segment.
type CardDoor struct {
	Name   string
	Method string
	// Path returns the request's path; pathCard is the card number
	// escaped for a path segment.
	Path func(pathCard string) string
	// Headers returns the request's headers for card (nil: JSONHeaders).
	Headers func(card string) map[string]string
	// Body returns the request's body; jsonCard is the card number as a
	// JSON string literal, quotes included.
	Body func(jsonCard string) string
	// Status is the answer expected, Detail a part of its detail.
	Status int
	Detail string
}

// RefusesCardNumbers sends each of cardtest.Spellings through each door
// and checks that every answer is the expected problem and repeats no card
// number, and that the service logged none. The caller counts its rows
// after: nothing may have been written.
func (e *Env) RefusesCardNumbers(t *testing.T, doors []CardDoor) {
	t.Helper()
	for _, d := range doors {
		for _, sp := range cardtest.Spellings() {
			t.Run(d.Name+"/"+sp.Name, func(t *testing.T) {
				quoted, err := json.Marshal(sp.Value)
				if err != nil {
					t.Fatal(err)
				}
				headers := JSONHeaders("k-card")
				if d.Headers != nil {
					headers = d.Headers(sp.Value)
				}
				body := ""
				if d.Body != nil {
					body = d.Body(string(quoted))
				}
				p, resp := e.Problem(t, d.Status, d.Method, d.Path(url.PathEscape(sp.Value)), headers, body)
				if !strings.Contains(p.Detail, d.Detail) {
					t.Errorf("detail %q does not contain %q", p.Detail, d.Detail)
				}
				if holdsCard(resp, sp.Value) {
					t.Errorf("the answer repeats the card number: %s", resp)
				}
			})
		}
	}
	if logs := e.Logs(); holdsCard(logs, "") {
		t.Errorf("the service logged a card number:\n%s", logs)
	}
}

// holdsCard reports whether s holds a card number, the test ones in
// digits, or spelling as it was sent.
func holdsCard(s, spelling string) bool {
	if carddata.Contains(s) || (spelling != "" && strings.Contains(s, spelling)) {
		return true
	}
	for _, d := range cardtest.Digits() {
		if strings.Contains(s, d) {
			return true
		}
	}
	return false
}
