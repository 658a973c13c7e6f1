package httpserver

import (
	"errors"
	"strings"
	"testing"

	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/ids"
)

func TestProblems(t *testing.T) {
	dtid := ids.NewDTID()
	tests := []struct {
		name   string
		check  func(p *Problems)
		detail string // "" means no problem
	}{
		{name: "valid", check: func(p *Problems) { p.CheckDTID(dtid, ""); p.CheckID("customer_id", "c-1"); p.Add("") }},
		{name: "dtid_equal_to_header", check: func(p *Problems) { p.CheckDTID(dtid, dtid) }},
		{name: "missing_dtid", check: func(p *Problems) { p.CheckDTID("", "") }, detail: "dtid: "},
		{name: "dtid_differs_from_header", check: func(p *Problems) { p.CheckDTID(dtid, "d-2") }, detail: "must equal the X-DTID header \"d-2\""},
		{name: "missing_id", check: func(p *Problems) { p.CheckID("customer_id", " ") }, detail: "customer_id is required"},
		{name: "long_id", check: func(p *Problems) { p.CheckID("payment_id", strings.Repeat("x", httpapi.MaxIDLen+1)) }, detail: "payment_id is longer than 128 characters"},
		{name: "every_problem_in_order", check: func(p *Problems) {
			p.CheckID("customer_id", "")
			p.Add("currency is odd")
			p.Addf("amount_cents is %d", -1)
		}, detail: "customer_id is required; currency is odd; amount_cents is -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p Problems
			tt.check(&p)
			err := p.Err()
			if tt.detail == "" {
				if err != nil {
					t.Errorf("err = %v, want nil", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Kind != KindInvalid || e.Type != httpapi.TypeInvalidField || !strings.Contains(e.Msg, tt.detail) {
				t.Errorf("err = %v, want invalid-field containing %q", err, tt.detail)
			}
		})
	}
}
