package jaegerquery

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// A search is bounded whatever Jaeger holds: the services it walks, the
// traces each returns, the bytes of an answer, the time of a request.
func TestReadsOfJaegerAreBounded(t *testing.T) {
	tests := []struct {
		name      string
		client    Client
		services  int
		traceSize int // bytes of padding in each answer
		delay     time.Duration
		wantErr   error
		wantText  string
		wantLimit string // the limit asked of every trace search
	}{
		{name: "default_trace_limit", services: 3, wantLimit: "200"},
		{name: "configured_trace_limit", client: Client{MaxTraces: 7}, services: 2, wantLimit: "7"},
		{name: "too_many_services", client: Client{MaxServices: 4}, services: 5, wantErr: ErrTooManyServices, wantText: "knows 5 services, more than the 4"},
		{name: "answer_over_the_limit", client: Client{MaxResponseBytes: 4096}, services: 1, traceSize: 5000, wantErr: ErrTooLarge, wantText: "more than 4096 bytes"},
		{name: "answer_within_the_limit", client: Client{MaxResponseBytes: 8192}, services: 1, traceSize: 5000, wantLimit: "200"},
		{name: "slow_jaeger", client: Client{Timeout: 100 * time.Millisecond}, services: 1, delay: 2 * time.Second, wantText: "deadline exceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var limits []string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case "/api/services":
					var names []string
					for i := range tt.services {
						names = append(names, fmt.Sprintf("%q", fmt.Sprintf("svc-%d", i)))
					}
					fmt.Fprintf(w, `{"data":[%s]}`, strings.Join(names, ","))
				case "/api/traces":
					limits = append(limits, r.URL.Query().Get("limit"))
					select {
					case <-time.After(tt.delay):
					case <-r.Context().Done():
						return
					}
					fmt.Fprintf(w, `{"data":[{"traceID":"t1","spans":[{"traceID":"t1","spanID":"s1","operationName":%q}]}]}`, strings.Repeat("x", tt.traceSize))
				}
			}))
			defer srv.Close()
			c := tt.client
			c.BaseURL = srv.URL
			traces, err := c.FindAllByTag(t.Context(), "dtid", "d-1", time.Now().Add(-time.Hour), time.Now())
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if tt.wantText != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantText) {
					t.Fatalf("err = %v, want one saying %q", err, tt.wantText)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(traces) != 1 || len(limits) != tt.services {
				t.Errorf("%d traces from %d searches, want 1 from %d", len(traces), len(limits), tt.services)
			}
			for _, l := range limits {
				if l != tt.wantLimit {
					t.Errorf("searched with limit %s, want %s", l, tt.wantLimit)
				}
			}
		})
	}
}
