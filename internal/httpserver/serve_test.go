package httpserver

import (
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"testing"
	"time"
)

// A client that declares a body and trickles it (a slowloris) is cut off
// by the read timeout instead of holding its connection for as long as it
// likes. The server is made as every component makes it, with the read
// timeout shortened so the test does not wait 15 s.
func TestNewCutsOffATricklingClient(t *testing.T) {
	srv := New(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}), log.New(io.Discard, "", 0))
	if srv.ReadTimeout != ReadTimeout || srv.WriteTimeout != WriteTimeout || srv.IdleTimeout != IdleTimeout || srv.ReadHeaderTimeout != ReadHeaderTimeout {
		t.Fatalf("timeouts = %s %s %s %s, want the package's", srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout)
	}
	srv.ReadTimeout = 300 * time.Millisecond
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 60000\r\n\r\n")
	start := time.Now()
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		_, _ = io.Copy(io.Discard, conn) // returns when the server closes
	}()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-closed:
			if took := time.Since(start); took > 10*time.Second {
				t.Errorf("connection closed after %s, want about the read timeout", took)
			}
			return
		case <-tick.C:
			if _, err := conn.Write([]byte("x")); err != nil {
				return // the server closed the connection
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the trickling client still holds its connection after 10 s")
		}
	}
}
