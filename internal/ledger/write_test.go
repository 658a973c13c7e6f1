package ledger

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sagatrace/sagatrace/internal/auth"
	"github.com/sagatrace/sagatrace/internal/faults"
	"github.com/sagatrace/sagatrace/internal/faults/faulthttp"
	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/httpserver"
	"github.com/sagatrace/sagatrace/internal/ids"
)

func TestFingerprint(t *testing.T) {
	type req struct {
		A string
		N int64
	}
	tests := []struct {
		name     string
		a, b     any
		wantSame bool
	}{
		{name: "equal_requests", a: req{"x", 1}, b: req{"x", 1}, wantSame: true},
		{name: "different_amount", a: req{"x", 1}, b: req{"x", 2}},
		{name: "different_text", a: req{"x", 1}, b: req{"y", 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Fingerprint(tt.a)
			if err != nil {
				t.Fatal(err)
			}
			b, err := Fingerprint(tt.b)
			if err != nil {
				t.Fatal(err)
			}
			if (a == b) != tt.wantSame || len(a) != 64 {
				t.Errorf("fingerprints %s and %s, want same=%v", a, b, tt.wantSame)
			}
		})
	}
	if _, err := Fingerprint(func() {}); err == nil {
		t.Error("a value JSON cannot encode was fingerprinted")
	}
}

// DecodeWrite checks in a fixed order, so a request with several faults
// gets the same answer from every service.
func TestDecodeWrite(t *testing.T) {
	type body struct {
		DTID string `json:"dtid"`
	}
	validate := func(b body, headerDTID string) httpserver.Problems {
		var p httpserver.Problems
		p.CheckDTID(b.DTID, headerDTID)
		return p
	}
	const good = `{"dtid":"d-1"}`
	tests := []struct {
		name     string
		key      string
		body     string
		faults   string
		noCaller bool   // the request did not pass the guard
		wantType string // "" means accepted
	}{
		{name: "accepted", key: "k-1", body: good, faults: "payment.charge=error"},
		{name: "no_caller_no_key_space", key: "k-1", body: good, faults: "payment.charge=error", noCaller: true},
		{name: "key_checked_first", body: `{`, faults: "nonsense", wantType: httpapi.TypeInvalidIdempotencyKey},
		{name: "body_before_validation", key: "k-1", body: `{`, faults: "nonsense", wantType: httpapi.TypeInvalidBody},
		{name: "validation_before_faults", key: "k-1", body: `{}`, faults: "nonsense", wantType: httpapi.TypeInvalidField},
		{name: "faults_last", key: "k-1", body: good, faults: "nonsense", wantType: httpapi.TypeInvalidFaults},
	}
	gate := &faulthttp.Gate{Enabled: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/v1/things", strings.NewReader(tt.body))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set(ids.HeaderFaults, tt.faults)
			if tt.key != "" {
				r.Header.Set(ids.HeaderIdempotencyKey, tt.key)
			}
			if !tt.noCaller {
				r = r.WithContext(auth.WithCaller(r.Context(), auth.Caller{Subject: "tester"}))
			}
			req, err := DecodeWrite(httptest.NewRecorder(), r, 1<<10, gate, validate)
			switch {
			case tt.noCaller:
				if !errors.Is(err, errNoCaller) {
					t.Errorf("err = %v, want %v", err, errNoCaller)
				}
				return
			case tt.wantType == "":
				if err != nil || req.Key != (IdempotencyKey{Caller: "tester", Value: tt.key}) || req.Body.DTID != "d-1" || !req.Faults.Has("payment.charge", faults.Error) {
					t.Errorf("DecodeWrite = %+v, %v", req, err)
				}
				return
			}
			var e *httpserver.Error
			if !errors.As(err, &e) || e.Kind != httpserver.KindInvalid || e.Type != tt.wantType {
				t.Errorf("err = %v, want a 400 %s", err, tt.wantType)
			}
		})
	}
}
