// Package devstacktest starts the dev stack's real servers for tests, the
// way `sagatrace dev` starts them: each on free ports, stopped when its
// test ends. It is for tests only; production code must not import it.
package devstacktest

import (
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sagatrace/sagatrace/internal/devstack"
)

// JetStream starts an in-process NATS server with JetStream on a free port
// and connects to it; the server and the connection close when the test
// ends.
func JetStream(t testing.TB) (*devstack.NATS, *nats.Conn, jetstream.JetStream) {
	t.Helper()
	srv, err := devstack.StartNATS(t.Context(), devstack.NATSOptions{StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	nc, js := Connect(t, srv.ClientURL())
	return srv, nc, js
}

// Connect connects to the NATS server(s) at url with opts until the test
// ends.
func Connect(t testing.TB, url string, opts ...nats.Option) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return nc, js
}

// Tools returns the real Temporal and Jaeger binaries, building them on
// first use (later calls find them in the cache), and skips the test under
// -short. Deliberately no shortcut through a prebuilt directory: CI on a
// clean clone has to exercise exactly what `sagatrace dev` does.
func Tools(t *testing.T) devstack.Tools {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: needs the real Temporal and Jaeger binaries, whose first build takes several minutes")
	}
	root, err := devstack.FindRepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	tools, err := devstack.BuildTools(t.Context(), root, t.Output())
	if err != nil {
		t.Fatal(err)
	}
	return tools
}
