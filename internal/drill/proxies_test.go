package drill

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sagatrace/sagatrace/internal/faults"
)

// The token proxy swaps the token of a charge's second attempt only, and
// remembers what the service answered it, by DTID.
func TestTokenProxyExpiresOnlyTheChargeRetry(t *testing.T) {
	svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "Bearer expired" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusCreated)
	}))
	defer svc.Close()
	px, err := startTokenProxy(svc.URL, "expired")
	if err != nil {
		t.Fatal(err)
	}
	defer px.close()
	tests := []struct {
		name, method, path, attempt, dtid string
		want                              int
		recorded                          bool
	}{
		{"first_attempt_keeps_its_token", http.MethodPost, chargePath, "1", "d-1", http.StatusCreated, false},
		{"retry_gets_the_expired_token", http.MethodPost, chargePath, "2", "d-2", http.StatusUnauthorized, true},
		{"third_attempt_keeps_its_token", http.MethodPost, chargePath, "3", "d-3", http.StatusCreated, false},
		{"refund_retry_untouched", http.MethodPost, chargePath + "/p-1/refund", "2", "d-4", http.StatusCreated, false},
		{"reads_untouched", http.MethodGet, chargePath, "2", "d-5", http.StatusCreated, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, px.url+tt.path, strings.NewReader(`{"dtid":"`+tt.dtid+`"}`))
			req.Header.Set("Authorization", "Bearer good")
			req.Header.Set(faults.HeaderAttempt, tt.attempt)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.want)
			}
			if status, ok := px.answer(tt.dtid); ok != tt.recorded || (ok && status != tt.want) {
				t.Errorf("recorded answer = %d, %v; want %d, %v", status, ok, tt.want, tt.recorded)
			}
		})
	}
}

// Cut, the TCP proxy drops its connections and refuses new ones; restored,
// it relays again.
func TestTCPProxyCutAndRestore(t *testing.T) {
	echo, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer echo.Close()
	go func() {
		for {
			c, err := echo.Accept()
			if err != nil {
				return
			}
			go func() { _, _ = io.Copy(c, c); c.Close() }()
		}
	}()
	px, err := startTCPProxy(echo.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer px.close()
	roundTrip := func(c net.Conn) error {
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.WriteString(c, "ping\n"); err != nil {
			return err
		}
		_, err := bufio.NewReader(c).ReadString('\n')
		return err
	}
	dial := func() net.Conn {
		c, err := net.Dial("tcp", px.addr())
		if err != nil {
			t.Fatal(err)
		}
		return c
	}

	before := dial()
	defer before.Close()
	if err := roundTrip(before); err != nil {
		t.Fatalf("relay before the cut: %v", err)
	}
	px.cut()
	if err := roundTrip(before); err == nil {
		t.Error("a connection survived the cut")
	}
	during := dial() // accepted, then closed at once
	defer during.Close()
	if err := roundTrip(during); err == nil {
		t.Error("a new connection was relayed while cut")
	}
	px.restore()
	after := dial()
	defer after.Close()
	if err := roundTrip(after); err != nil {
		t.Errorf("relay after the restore: %v", err)
	}
}
