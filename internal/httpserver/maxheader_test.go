package httpserver

import (
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"testing"
)

// Headers past MaxHeaderBytes are refused (431) before any handler runs.
func TestServerRefusesOversizedHeaders(t *testing.T) {
	called := false
	srv := New(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true }), log.New(io.Discard, "", 0))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln) //nolint:errcheck // closed below
	t.Cleanup(func() { _ = srv.Close() })
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://"+ln.Addr().String()+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Padding", strings.Repeat("a", 2*MaxHeaderBytes))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge || called {
		t.Errorf("status %d (handler called: %v), want 431 before the handler", resp.StatusCode, called)
	}
}
