package component

import (
	"context"
	"log/slog"
	"net/http"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/sagatrace/sagatrace/internal/auth"
	"github.com/sagatrace/sagatrace/internal/ratelimit"
	"github.com/sagatrace/sagatrace/internal/servicetest"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
)

// Every HTTP component (services, scoring and the console all serve
// through serve) limits each client address before it checks the token: a
// flood of requests with forged tokens is answered 429 once over the
// rate, not verified one by one.
func TestPerIPLimitActsBeforeAuthentication(t *testing.T) {
	dir := t.TempDir()
	keys, err := auth.EnsureKeyPair(filepath.Join(dir, "issuer.key"), filepath.Join(dir, "issuer.pub"))
	if err != nil {
		t.Fatal(err)
	}
	common := Common{TracingDisabled: true, Logger: slog.New(slog.DiscardHandler), PerIP: ratelimit.Config{Rate: 0.5, Burst: 2}}
	tests := []struct {
		name  string
		start func(ctx context.Context) (*Running, error)
		path  string
	}{
		{"payment", func(ctx context.Context) (*Running, error) {
			svc, _ := ServiceNamed(paymentapi.Audience)
			return svc.Start(ctx, ServiceConfig{Common: common, Listen: "127.0.0.1:0", DatabaseURL: filepath.Join(t.TempDir(), "p.db"),
				Auth: ServiceAuth{PublicKeyFile: keys.PublicKeyFile}})
		}, "/v1/payments?dtid=d-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := tt.start(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				_ = r.Stop(ctx)
			})
			var got []int
			for range 4 {
				req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, r.URL()+tt.path, nil)
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Authorization", "Bearer forged.token.here")
				resp, body := servicetest.Do(t, &http.Client{Timeout: 5 * time.Second}, req)
				got = append(got, resp.StatusCode)
				if resp.StatusCode == http.StatusTooManyRequests {
					if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || s < 1 {
						t.Errorf("429 with Retry-After %q", resp.Header.Get("Retry-After"))
					}
					if resp.Header.Get("Content-Type") != "application/problem+json" {
						t.Errorf("429 is %s, want problem+json: %s", resp.Header.Get("Content-Type"), body)
					}
				}
			}
			want := []int{http.StatusUnauthorized, http.StatusUnauthorized, http.StatusTooManyRequests, http.StatusTooManyRequests}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("statuses %v, want %v: the limit acts before the token is checked", got, want)
				}
			}
		})
	}
}
