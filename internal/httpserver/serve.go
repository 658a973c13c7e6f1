package httpserver

import (
	"log"
	"net/http"
	"time"
)

// Timeouts of every sagatrace HTTP server. Each bounds what a slow or
// malicious client can hold: the headers, the whole request (a body
// trickled a byte at a time), the answer, and an idle keep-alive
// connection. WriteTimeout leaves room for the longest answer a service
// gives on purpose, an injected timeout fault held for faults.MaxHold
// (2 minutes).
const (
	// MaxHeaderBytes bounds a request's headers (Go's default is 1 MiB):
	// a bearer token, traceparent and baggage fit many times over.
	MaxHeaderBytes    = 64 << 10
	ReadHeaderTimeout = 5 * time.Second
	ReadTimeout       = 15 * time.Second
	WriteTimeout      = 150 * time.Second
	IdleTimeout       = 2 * time.Minute
)

// New returns the server every component serves h with: the timeouts
// above, and the server's own errors (TLS handshakes, panics in handlers)
// logged to errorLog.
func New(h http.Handler, errorLog *log.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          errorLog,
	}
}
