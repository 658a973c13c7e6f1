package httpapi

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sagatrace/sagatrace/internal/ids"
)

func TestWriteHeaders(t *testing.T) {
	tests := []struct {
		name     string
		ctx      context.Context
		dtid     string
		wantDTID string
	}{
		{name: "outside_a_hop_sends_the_body_dtid", ctx: context.Background(), dtid: "d-1", wantDTID: "d-1"},
		{name: "inside_a_hop_leaves_it_to_the_context", ctx: ids.WithDTID(context.Background(), "d-ctx"), dtid: "d-1"},
		{name: "no_dtid_known", ctx: context.Background()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := WriteHeaders(tt.ctx, "k-1", tt.dtid)
			if got := h.Get(ids.HeaderIdempotencyKey); got != "k-1" {
				t.Errorf("Idempotency-Key = %q", got)
			}
			if got := h.Get(ids.HeaderDTID); got != tt.wantDTID {
				t.Errorf("X-DTID = %q, want %q", got, tt.wantDTID)
			}
		})
	}
}

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
	validate := func(b body, headerDTID string) Problems {
		var p Problems
		p.CheckDTID(b.DTID, headerDTID)
		return p
	}
	const good = `{"dtid":"d-1"}`
	tests := []struct {
		name     string
		key      string
		body     string
		faults   string
		wantType string // "" means accepted
	}{
		{name: "accepted", key: "k-1", body: good, faults: "payment.charge=error"},
		{name: "key_checked_first", body: `{`, faults: "nonsense", wantType: TypeInvalidIdempotencyKey},
		{name: "body_before_validation", key: "k-1", body: `{`, faults: "nonsense", wantType: TypeInvalidBody},
		{name: "validation_before_faults", key: "k-1", body: `{}`, faults: "nonsense", wantType: TypeInvalidField},
		{name: "faults_last", key: "k-1", body: good, faults: "nonsense", wantType: TypeInvalidFaults},
	}
	gate := &FaultGate{Enabled: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/v1/things", strings.NewReader(tt.body))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set(ids.HeaderFaults, tt.faults)
			if tt.key != "" {
				r.Header.Set(ids.HeaderIdempotencyKey, tt.key)
			}
			req, err := DecodeWrite(httptest.NewRecorder(), r, 1<<10, gate, validate)
			if tt.wantType == "" {
				if err != nil || req.Key != tt.key || req.Body.DTID != "d-1" || !req.Faults.Has("payment.charge", FaultError) {
					t.Errorf("DecodeWrite = %+v, %v", req, err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Kind != KindInvalid || e.Type != tt.wantType {
				t.Errorf("err = %v, want a 400 %s", err, tt.wantType)
			}
		})
	}
}

func TestWriteCreated(t *testing.T) {
	tests := []struct {
		name         string
		created      bool
		wantStatus   int
		wantLocation string
	}{
		{name: "created", created: true, wantStatus: 201, wantLocation: "/v1/things/t-1"},
		{name: "replayed", created: false, wantStatus: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			if err := WriteCreated(w, tt.created, "/v1/things/t-1", map[string]string{"id": "t-1"}); err != nil {
				t.Fatal(err)
			}
			if w.Code != tt.wantStatus || w.Header().Get("Location") != tt.wantLocation || !strings.Contains(w.Body.String(), `"t-1"`) {
				t.Errorf("%d, Location %q, body %s", w.Code, w.Header().Get("Location"), w.Body.String())
			}
		})
	}
}
