package ratelimit

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestPerIPCountsEachAddress(t *testing.T) {
	l, err := New(Config{Rate: 0.001, Burst: 1})
	if err != nil {
		t.Fatal(err)
	}
	h := l.PerIP(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	tests := []struct {
		name, remote string
		want         int
	}{
		{"first_of_an_address", "192.0.2.1:1000", http.StatusNoContent},
		{"same_address_other_port", "192.0.2.1:2000", http.StatusTooManyRequests},
		{"another_address", "192.0.2.2:1000", http.StatusNoContent},
		{"ipv4_mapped_is_the_same_address", "[::ffff:192.0.2.2]:1000", http.StatusTooManyRequests},
		{"first_of_a_v6_block", "[2001:db8:1:2::1]:1000", http.StatusNoContent},
		{"same_v6_slash_64", "[2001:db8:1:2:ffff::9]:1000", http.StatusTooManyRequests},
		{"another_v6_slash_64", "[2001:db8:1:3::1]:1000", http.StatusNoContent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.RemoteAddr = tt.remote
			req.Header.Set("X-Forwarded-For", "198.51.100.7") // never trusted
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.want {
				t.Fatalf("%s: %d, want %d", tt.remote, rec.Code, tt.want)
			}
			if rec.Code == http.StatusTooManyRequests && (rec.Header().Get("Retry-After") == "" || rec.Header().Get("Content-Type") != "application/problem+json") {
				t.Errorf("429 without Retry-After or problem+json: %v", rec.Header())
			}
		})
	}
	if l.Len() != 4 {
		t.Errorf("%d buckets, want 4 (two IPv4 addresses, two /64s)", l.Len())
	}
}
