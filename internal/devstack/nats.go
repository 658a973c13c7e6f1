package devstack

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// natsReadyTimeout bounds the wait for an embedded server that normally
// accepts connections within milliseconds.
const natsReadyTimeout = 10 * time.Second

// NATSOptions configures [StartNATS].
type NATSOptions struct {
	// Host to listen on; "" means 127.0.0.1.
	Host string
	// Port for clients; 0 picks a free one.
	Port int
	// StoreDir holds JetStream's files. Required: a default under /tmp
	// would silently share streams between unrelated runs.
	StoreDir string
	// Users, when set, are the only clients the server accepts, each with
	// its permissions; none means anyone may connect and do anything.
	Users []*server.NkeyUser
	// Debug sends the server's own log to stderr. Off by default, because
	// the embedded server shares the terminal with `sagatrace dev`.
	Debug bool
}

// NATS is an embedded NATS server with JetStream enabled.
type NATS struct {
	srv *server.Server
}

// StartNATS starts an embedded NATS server in this process and waits until it
// accepts connections. ctx bounds only the start; the server runs until
// Shutdown.
func StartNATS(ctx context.Context, opts NATSOptions) (*NATS, error) {
	if opts.StoreDir == "" {
		return nil, errors.New("start nats: StoreDir is required")
	}
	if opts.Host == "" {
		opts.Host = "127.0.0.1"
	}
	port := opts.Port
	if port == 0 {
		port = server.RANDOM_PORT // Let the server bind :0 itself: no race.
	}
	srv, err := server.NewServer(&server.Options{
		Host:      opts.Host,
		Port:      port,
		JetStream: true,
		StoreDir:  opts.StoreDir,
		NoSigs:    true, // Signals belong to the host program.
		Debug:     opts.Debug,
		Nkeys:     opts.Users,
	})
	if err != nil {
		return nil, fmt.Errorf("start nats: %w", err)
	}
	if opts.Debug {
		srv.ConfigureLogger()
	}
	go srv.Start()

	timeout := natsReadyTimeout
	if deadline, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(deadline))
	}
	if !srv.ReadyForConnections(timeout) {
		srv.Shutdown()
		srv.WaitForShutdown()
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("start nats: %w", err)
		}
		return nil, fmt.Errorf("start nats on %s: not ready after %s", opts.Host, timeout)
	}
	return &NATS{srv: srv}, nil
}

// ClientURL is the URL clients connect to, e.g. nats://127.0.0.1:4222.
func (n *NATS) ClientURL() string { return n.srv.ClientURL() }

// Shutdown stops the server, closing client connections and flushing
// JetStream, and returns once it has stopped.
func (n *NATS) Shutdown() {
	n.srv.Shutdown()
	n.srv.WaitForShutdown()
}
