package drill

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
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
	px, err := startTCPProxy(echo.Addr().String(), nil, nil)
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

// The ack loser drops the first PubAcks of a score event's publish — by
// the publish's reply subject — and relays every other byte unchanged.
func TestAckLoserDropsOnlyThePubAcksOfScoreEvents(t *testing.T) {
	const hdr = "NATS/1.0\r\nNats-Msg-Id: e-1\r\n\r\n"
	client := "CONNECT {}\r\nPING\r\n" +
		"HPUB scoring.events.p-1 _INBOX.a.1 " + strconv.Itoa(len(hdr)) + " " + strconv.Itoa(len(hdr)+2) + "\r\n" + hdr + "{}\r\n" +
		"HPUB scoring.events.p-1 _INBOX.a.2 " + strconv.Itoa(len(hdr)) + " " + strconv.Itoa(len(hdr)+2) + "\r\n" + hdr + "{}\r\n" +
		"PUB other.subject _INBOX.a.3 2\r\n{}\r\n" +
		"PUB scoring.events.p-2 4\r\nnone\r\n" // no reply: no PubAck to lose
	ack := func(inbox string) string { return "MSG " + inbox + " 1 12\r\n{\"seq\":1234}\r\n" }
	server := "INFO {}\r\nPONG\r\n" + ack("_INBOX.a.1") + ack("_INBOX.a.2") + ack("_INBOX.a.3") + ack("_INBOX.a.1")

	tests := []struct {
		name       string
		lose       int
		wantServer string
		wantLost   int
	}{
		{"lose_none", 0, server, 0},
		{"lose_one", 1, "INFO {}\r\nPONG\r\n" + ack("_INBOX.a.2") + ack("_INBOX.a.3") + ack("_INBOX.a.1"), 1},
		{"lose_two", 2, "INFO {}\r\nPONG\r\n" + ack("_INBOX.a.3") + ack("_INBOX.a.1"), 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAckLoser(tt.lose)
			var toServer, toClient strings.Builder
			if err := a.watch(&toServer, strings.NewReader(client)); err != io.EOF {
				t.Fatalf("watch: %v", err)
			}
			if toServer.String() != client {
				t.Errorf("the client's bytes were changed:\n%q\nwant\n%q", toServer.String(), client)
			}
			if err := a.filter(&toClient, strings.NewReader(server)); err != io.EOF {
				t.Fatalf("filter: %v", err)
			}
			if toClient.String() != tt.wantServer {
				t.Errorf("relayed to the client:\n%q\nwant\n%q", toClient.String(), tt.wantServer)
			}
			if got := a.lost("p-1"); got != tt.wantLost {
				t.Errorf("lost(p-1) = %d, want %d", got, tt.wantLost)
			}
		})
	}
}
