package httpserver

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sagatrace/sagatrace/internal/httpapi"
)

type decodeTarget struct {
	DTID        string `json:"dtid"`
	AmountCents int64  `json:"amount_cents"`
	Items       []struct {
		Qty int `json:"qty"`
	} `json:"items"`
}

func TestDecodeJSON(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
		body        string
		wantErr     string // substring of the client-facing message; "" means success
		wantKind    Kind   // KindInvalid unless set
		chunked     bool   // no Content-Length, as a streaming client sends it
	}{
		{name: "valid", contentType: "application/json", body: `{"dtid":"d-1","amount_cents":5}`},
		{name: "valid_with_charset", contentType: "application/json; charset=utf-8", body: `{"dtid":"d-1"}`},
		{name: "missing_content_type", body: `{}`, wantErr: "Content-Type must be application/json"},
		{name: "form_content_type", contentType: "application/x-www-form-urlencoded", body: `a=b`, wantErr: "Content-Type must be application/json"},
		{name: "empty_body", contentType: "application/json", body: ``, wantErr: "request body is empty"},
		{name: "malformed", contentType: "application/json", body: `{"dtid":}`, wantErr: "not valid JSON"},
		{name: "truncated", contentType: "application/json", body: `{"dtid":"d-1"`, wantErr: "truncated"},
		{name: "unknown_field", contentType: "application/json", body: `{"card_number":"4111"}`, wantErr: `unknown field "card_number"`},
		{name: "string_for_number", contentType: "application/json", body: `{"amount_cents":"5"}`, wantErr: `field "amount_cents" must be an integer`},
		{name: "fraction_for_integer", contentType: "application/json", body: `{"amount_cents":12.5}`, wantErr: `field "amount_cents" must be an integer`},
		{name: "nested_field", contentType: "application/json", body: `{"items":[{"qty":"x"}]}`, wantErr: `"items.qty" must be an integer`},
		{name: "array_body", contentType: "application/json", body: `[1]`, wantErr: "request body must be an object"},
		{name: "two_values", contentType: "application/json", body: `{} {}`, wantErr: "single JSON value"},
		{name: "trailing_garbage", contentType: "application/json", body: `{} x`, wantErr: "single JSON value"},
		{name: "too_large", contentType: "application/json", body: `{"dtid":"` + strings.Repeat("a", 100) + `"}`, wantErr: "larger than 64 bytes", wantKind: KindTooLarge},
		{name: "too_large_chunked", contentType: "application/json", body: `{"dtid":"` + strings.Repeat("a", 100) + `"}`, wantErr: "larger than 64 bytes", wantKind: KindTooLarge, chunked: true},
		// Strict beyond encoding/json: what a proxy or a validator could
		// read differently from the service is refused.
		{name: "duplicate_field", contentType: "application/json", body: `{"dtid":"a","dtid":"b"}`, wantErr: `field "dtid" appears more than once`},
		{name: "duplicate_nested_field", contentType: "application/json", body: `{"items":[{"qty":1,"qty":2}]}`, wantErr: `field "items.qty" appears more than once`},
		{name: "duplicate_escaped", contentType: "application/json", body: `{"dtid":"a","d\u0074id":"b"}`, wantErr: `field "dtid" appears more than once`},
		{name: "upper_case_name", contentType: "application/json", body: `{"DTID":"d-1"}`, wantErr: `unknown field "DTID"`},
		{name: "mixed_case_name", contentType: "application/json", body: `{"Amount_Cents":5}`, wantErr: `unknown field "Amount_Cents"`},
		{name: "invalid_utf8", contentType: "application/json", body: "{\"dtid\":\"\xff\"}", wantErr: "not valid JSON"},
		{name: "whitespace_only", contentType: "application/json", body: "  \n", wantErr: "request body is empty"},
		{name: "trailing_bytes_over_the_limit", contentType: "application/json", body: `{}` + strings.Repeat(" ", 100), wantErr: "larger than 64 bytes", wantKind: KindTooLarge, chunked: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tt.body))
			if tt.contentType != "" {
				r.Header.Set("Content-Type", tt.contentType)
			}
			if tt.chunked {
				r.ContentLength = -1
			}
			var dst decodeTarget
			err := DecodeJSON(httptest.NewRecorder(), r, &dst, 64)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("DecodeJSON: %v", err)
				}
				return
			}
			wantKind := KindInvalid
			if tt.wantKind != 0 {
				wantKind = tt.wantKind
			}
			var e *Error
			if !errors.As(err, &e) || e.Kind != wantKind {
				t.Fatalf("error %v is not a *Error of kind %d", err, wantKind)
			}
			if !strings.Contains(e.Msg, tt.wantErr) {
				t.Errorf("message %q does not contain %q", e.Msg, tt.wantErr)
			}
		})
	}
}

func TestRequireIdempotencyKey(t *testing.T) {
	tests := []struct {
		name    string
		key     string
		wantErr string
	}{
		{name: "uuid", key: "5b3c7f0e-1d2a-4c3b-8e9f-0a1b2c3d4e5f"},
		{name: "missing", key: "", wantErr: "is required"},
		{name: "too_long", key: strings.Repeat("k", httpapi.MaxIdempotencyKeyLen+1), wantErr: "at most 255"},
		{name: "longest_allowed", key: strings.Repeat("k", httpapi.MaxIdempotencyKeyLen)},
		{name: "non_ascii", key: "clé", wantErr: "printable ASCII"},
		{name: "control_char", key: "a\x01b", wantErr: "printable ASCII"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/", nil)
			if tt.key != "" {
				r.Header["Idempotency-Key"] = []string{tt.key}
			}
			got, err := RequireIdempotencyKey(r)
			if tt.wantErr == "" {
				if err != nil || got != tt.key {
					t.Fatalf("RequireIdempotencyKey = %q, %v", got, err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Kind != KindInvalid || !strings.Contains(e.Msg, tt.wantErr) {
				t.Fatalf("error = %v, want KindInvalid containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestLimitBody(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		chunked  bool
		wantKind Kind // 0: accepted (a chunked body fails only when read)
		readFail bool
	}{
		{name: "under_the_limit", body: strings.Repeat("a", 64)},
		{name: "declared_over_the_limit", body: strings.Repeat("a", 65), wantKind: KindTooLarge},
		{name: "chunked_over_the_limit_fails_the_read", body: strings.Repeat("a", 65), chunked: true, readFail: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tt.body))
			if tt.chunked {
				r.ContentLength = -1
			}
			err := LimitBody(httptest.NewRecorder(), r, 64)
			var e *Error
			if tt.wantKind != 0 {
				if !errors.As(err, &e) || e.Kind != tt.wantKind || e.Type != httpapi.TypeBodyTooLarge {
					t.Fatalf("LimitBody = %v, want a %s error", err, httpapi.TypeBodyTooLarge)
				}
				return
			}
			if err != nil {
				t.Fatalf("LimitBody = %v", err)
			}
			derr := DiscardBody(r)
			if (derr != nil) != tt.readFail {
				t.Errorf("DiscardBody = %v, want failure %v", derr, tt.readFail)
			}
			if derr != nil && (!errors.As(derr, &e) || e.Kind != KindTooLarge) {
				t.Errorf("DiscardBody = %v, want a KindTooLarge error", derr)
			}
		})
	}
}
