package payment_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/sagatrace/sagatrace/internal/database/dbtest"
	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/servicetest"
	"github.com/sagatrace/sagatrace/services/payment"
)

func TestChargeRejectsBadRequestsWithoutWriting(t *testing.T) {
	backends.Each(t, func(t *testing.T, backend dbtest.Backend) {
		const valid = `{"dtid":"d-1","customer_id":"c-1","amount_cents":1299,"currency":"USD"}`
		jsonKey := servicetest.JSONHeaders("k-1")
		with := func(extra map[string]string) map[string]string {
			h := servicetest.JSONHeaders("k-1")
			for k, v := range extra {
				h[k] = v
			}
			return h
		}
		tests := []struct {
			name    string
			headers map[string]string
			body    string
			detail  string // must appear in the problem's detail
		}{
			{name: "malformed_json", headers: jsonKey, body: `{"dtid":`, detail: "truncated"},
			{name: "not_json", headers: jsonKey, body: `dtid=d-1`, detail: "not valid JSON"},
			{name: "unknown_field", headers: jsonKey, body: `{"dtid":"d-1","card_number":"4111111111111111"}`, detail: `unknown field "card_number"`},
			{name: "amount_as_string", headers: jsonKey, body: `{"amount_cents":"12.99"}`, detail: `field "amount_cents" must be an integer`},
			{name: "missing_idempotency_key", headers: servicetest.JSONHeaders(""), body: valid, detail: "Idempotency-Key"},
			{name: "wrong_content_type", headers: with(map[string]string{"Content-Type": "text/plain"}), body: valid, detail: "Content-Type"},
			{name: "bad_currency", headers: jsonKey, body: `{"dtid":"d-1","customer_id":"c-1","amount_cents":1299,"currency":"XXX"}`, detail: `currency "XXX"`},
			{name: "lowercase_currency", headers: jsonKey, body: `{"dtid":"d-1","customer_id":"c-1","amount_cents":1299,"currency":"usd"}`, detail: `currency "usd"`},
			{name: "negative_amount", headers: jsonKey, body: `{"dtid":"d-1","customer_id":"c-1","amount_cents":-5,"currency":"USD"}`, detail: "amount_cents must be greater than 0"},
			{name: "zero_amount", headers: jsonKey, body: `{"dtid":"d-1","customer_id":"c-1","amount_cents":0,"currency":"USD"}`, detail: "amount_cents must be greater than 0"},
			{name: "absurd_amount", headers: jsonKey, body: `{"dtid":"d-1","customer_id":"c-1","amount_cents":1000000001,"currency":"USD"}`, detail: "amount_cents must be at most"},
			{name: "missing_customer", headers: jsonKey, body: `{"dtid":"d-1","amount_cents":1,"currency":"USD"}`, detail: "customer_id is required"},
			{name: "missing_dtid", headers: jsonKey, body: `{"customer_id":"c-1","amount_cents":1,"currency":"USD"}`, detail: "dtid"},
			{name: "dtid_differs_from_header", headers: with(map[string]string{"X-DTID": "d-2"}), body: valid, detail: "X-DTID"},
			{name: "invalid_dtid_header", headers: with(map[string]string{"X-DTID": "not a dtid"}), body: valid, detail: "X-DTID"},
			{name: "card_number_as_customer", headers: jsonKey, body: `{"dtid":"d-1","customer_id":"4111111111111111","amount_cents":1,"currency":"USD"}`, detail: "customer_id holds a card number"},
			{name: "card_number_as_token", headers: jsonKey, body: `{"dtid":"d-1","customer_id":"c-1","amount_cents":1,"currency":"USD","card_token":"4111 1111 1111 1111","card_last4":"1111"}`, detail: "card_token holds a card number"},
			{name: "card_number_inside_token", headers: jsonKey, body: `{"dtid":"d-1","customer_id":"c-1","amount_cents":1,"currency":"USD","card_token":"tok_4111111111111111","card_last4":"1111"}`, detail: "card_token holds a card number"},
			{name: "card_number_as_last4", headers: jsonKey, body: `{"dtid":"d-1","customer_id":"c-1","amount_cents":1,"currency":"USD","card_token":"tok_abcd","card_last4":"4111111111111111"}`, detail: "card_last4 holds a card number"},
			{name: "last4_not_four_digits", headers: jsonKey, body: `{"dtid":"d-1","customer_id":"c-1","amount_cents":1,"currency":"USD","card_token":"tok_abcd","card_last4":"11a1"}`, detail: "card_last4 must be exactly four digits"},
			{name: "token_without_last4", headers: jsonKey, body: `{"dtid":"d-1","customer_id":"c-1","amount_cents":1,"currency":"USD","card_token":"tok_abcd"}`, detail: "send both or neither"},
			{name: "every_problem_at_once", headers: jsonKey, body: `{"amount_cents":-1,"currency":"X"}`, detail: "dtid: dtid is empty; customer_id is required; amount_cents must be greater than 0"},
		}
		e := newEnv(t, backend, payment.Config{})
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				status, h, body := e.Raw(t, "POST", "/v1/payments", tt.headers, tt.body)
				if status != 400 || h.Get("Content-Type") != httpapi.ContentTypeProblem {
					t.Fatalf("status %d, Content-Type %q, want 400 problem+json: %s", status, h.Get("Content-Type"), body)
				}
				var p httpapi.Problem
				if err := json.Unmarshal([]byte(body), &p); err != nil {
					t.Fatal(err)
				}
				if p.Status != 400 || !strings.Contains(p.Detail, tt.detail) || p.CorrelationID == "" {
					t.Errorf("problem = %+v, want detail containing %q", p, tt.detail)
				}
				if strings.Contains(body, "4111111111111111") || strings.Contains(body, "4111 1111") {
					t.Errorf("the problem repeats the card number: %s", body)
				}
			})
		}
		if n := e.Count(t, "payments") + e.Count(t, "payment_events"); n != 0 {
			t.Errorf("%d rows written by rejected requests", n)
		}
	})
}
