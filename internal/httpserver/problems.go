package httpserver

import (
	"fmt"
	"strings"

	"github.com/sagatrace/sagatrace/internal/carddata"
	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/ids"
)

// Problems collects everything wrong with a request body, each naming its
// field, so a client fixes its request in one round trip instead of one
// per mistake.
type Problems []string

// Add appends problem, unless it is "" (a check that passed).
func (p *Problems) Add(problem string) {
	if problem != "" {
		*p = append(*p, problem)
	}
}

// Addf appends a formatted problem.
func (p *Problems) Addf(format string, args ...any) {
	*p = append(*p, fmt.Sprintf(format, args...))
}

// CheckDTID checks the body's dtid and, when the request has an X-DTID
// header (headerDTID != ""), that both name the same transaction.
func (p *Problems) CheckDTID(dtid, headerDTID string) {
	if err := ids.ValidateDTID(dtid); err != nil {
		p.Addf("dtid: %v", err)
	} else if headerDTID != "" && dtid != headerDTID {
		p.Addf("dtid %q must equal the X-DTID header %q", dtid, headerDTID)
	}
}

// CheckID checks a required identifier of at most httpapi.MaxIDLen characters
// that is not a card number (an ID field is the first place a careless
// client puts one; the problem does not repeat it).
func (p *Problems) CheckID(field, value string) {
	switch {
	case strings.TrimSpace(value) == "":
		p.Addf("%s is required", field)
	case carddata.Contains(value):
		p.Addf("%s holds a card number; sagatrace never takes one (send card_token and card_last4 with a charge)", field)
	case len(value) > httpapi.MaxIDLen:
		p.Addf("%s is longer than %d characters", field, httpapi.MaxIDLen)
	}
}

// Err returns the problems as one 400 invalid-field error, or nil when
// there are none.
func (p Problems) Err() error {
	if len(p) == 0 {
		return nil
	}
	// A problem may quote a bad value back ("currency \"…\""); a card
	// number is never quoted, not even to the client that sent it:
	// writeProblem redacts every detail.
	return Invalid(httpapi.TypeInvalidField, strings.Join(p, "; "))
}
