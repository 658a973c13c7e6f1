package scoring

import (
	"errors"
	"strings"
	"testing"
)

func TestDecode(t *testing.T) {
	tests := []struct {
		name       string
		data       string
		want       Event
		wantReason string
	}{
		{name: "plain_nats_pub", data: `{"profile_id":"p-1","kind":"like","delta":1}`,
			want: Event{ProfileID: "p-1", Kind: "like", Delta: 1}},
		{name: "saga_event", data: `{"event_id":"e-1","dtid":"d-1","profile_id":"p-1","kind":"order_completed","delta":-10}`,
			want: Event{EventID: "e-1", DTID: "d-1", ProfileID: "p-1", Kind: "order_completed", Delta: -10}},
		{name: "not_json", data: `like p-1`, wantReason: ReasonNotJSON},
		{name: "empty", data: ``, wantReason: ReasonNotJSON},
		{name: "trailing_data", data: `{"profile_id":"p-1","kind":"like","delta":1} {}`, wantReason: ReasonNotJSON},
		{name: "unknown_field", data: `{"profile_id":"p-1","kind":"like","delta":1,"card":"4111"}`, wantReason: ReasonUnknownField},
		// Strict as every API (internal/strictjson): two profile_ids could
		// be read differently by a publisher's validator and the shard.
		{name: "duplicate_profile", data: `{"profile_id":"p-1","profile_id":"p-2","kind":"like","delta":1}`, wantReason: ReasonNotJSON},
		{name: "upper_case_name", data: `{"PROFILE_ID":"p-1","kind":"like","delta":1}`, wantReason: ReasonUnknownField},
		{name: "missing_profile", data: `{"kind":"like","delta":1}`, wantReason: ReasonBadProfile},
		{name: "oversized_profile", data: `{"profile_id":"` + strings.Repeat("p", MaxProfileIDLen+1) + `","kind":"like","delta":1}`, wantReason: ReasonBadProfile},
		{name: "profile_with_subject_chars", data: `{"profile_id":"p.1","kind":"like","delta":1}`, wantReason: ReasonBadProfile},
		{name: "fractional_delta", data: `{"profile_id":"p-1","kind":"like","delta":1.5}`, wantReason: ReasonBadDelta},
		{name: "string_delta", data: `{"profile_id":"p-1","kind":"like","delta":"1"}`, wantReason: ReasonBadDelta},
		{name: "absurd_delta", data: `{"profile_id":"p-1","kind":"like","delta":1000000000}`, wantReason: ReasonBadDelta},
		{name: "missing_kind", data: `{"profile_id":"p-1","delta":1}`, wantReason: ReasonBadKind},
		{name: "card_number_as_profile", data: `{"profile_id":"4111111111111111","kind":"like","delta":1}`, wantReason: ReasonCardData},
		{name: "card_number_in_kind", data: `{"profile_id":"p-1","kind":"card 4111 1111 1111 1111","delta":1}`, wantReason: ReasonCardData},
		{name: "card_number_as_event_id", data: `{"event_id":"5555555555554444","profile_id":"p-1","kind":"like","delta":1}`, wantReason: ReasonCardData},
		{name: "nul_in_profile", data: `{"profile_id":"p\u0000","kind":"like","delta":1}`, wantReason: ReasonControlChar},
		{name: "nul_in_dtid", data: `{"dtid":"d\u0000","profile_id":"p-1","kind":"like","delta":1}`, wantReason: ReasonControlChar},
		{name: "escape_in_kind", data: `{"profile_id":"p-1","kind":"li\u001bke","delta":1}`, wantReason: ReasonControlChar},
		{name: "json_escaped_card_number", data: `{"profile_id":"p-1","kind":"like","delta":1,"event_id":"\u0034111111111111111"}`, wantReason: ReasonCardData},
		{name: "oversized_dtid", data: `{"dtid":"` + strings.Repeat("d", MaxDTIDLen+1) + `","profile_id":"p-1","kind":"like","delta":1}`, wantReason: ReasonBadID},
		{name: "too_large", data: `{"profile_id":"p-1","kind":"` + strings.Repeat("k", MaxEventBytes) + `","delta":1}`, wantReason: ReasonTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode([]byte(tt.data))
			if tt.wantReason == "" {
				if err != nil || got != tt.want {
					t.Fatalf("Decode = %+v, %v; want %+v", got, err, tt.want)
				}
				return
			}
			var de *DecodeError
			if !errors.As(err, &de) || de.Reason != tt.wantReason {
				t.Fatalf("Decode error = %v, want reason %s", err, tt.wantReason)
			}
		})
	}
}

// FuzzDecode checks that no input panics the decoder and that whatever it
// accepts is within the limits the shards rely on.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		`{"profile_id":"p-1","kind":"like","delta":1}`,
		`{"event_id":"e","dtid":"d","profile_id":"p","kind":"k","delta":-5}`,
		`{"profile_id":"p-1","kind":"like","delta":1e3}`,
		`{"profile_id":null}`, `[]`, `"x"`, `{`, ``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ev, err := Decode(data)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) || de.Reason == "" {
				t.Fatalf("error without a DLQ reason: %v", err)
			}
			return
		}
		if ev.ProfileID == "" || len(ev.ProfileID) > MaxProfileIDLen || ev.Delta > MaxAbsDelta || ev.Delta < -MaxAbsDelta {
			t.Fatalf("accepted an event outside the limits: %+v", ev)
		}
	})
}
