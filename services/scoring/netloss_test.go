package scoring

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sagatrace/sagatrace/internal/devstack/devstacktest"
)

// flakyProxy is a TCP proxy between a NATS client and its server that,
// when told, holds back what the server sends (the bytes are read from
// the server, so the server counts them as delivered) and then resets
// every connection: the held bytes are lost, as on a reconnect, a
// slow-consumer disconnect or a leader change.
type flakyProxy struct {
	ln      net.Listener
	target  string
	mu      sync.Mutex
	conns   []net.Conn
	stalled atomic.Bool
	resets  atomic.Int64
}

// startFlakyProxy proxies a free local port to target until the test ends.
func startFlakyProxy(t testing.TB, target string) *flakyProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &flakyProxy{ln: ln, target: target}
	go p.accept()
	t.Cleanup(func() { _ = ln.Close(); p.resetAll() })
	return p
}

// URL is the nats:// URL of the proxy.
func (p *flakyProxy) URL() string { return "nats://" + p.ln.Addr().String() }

func (p *flakyProxy) accept() {
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = client.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, client, server)
		p.mu.Unlock()
		go func() { _, _ = io.Copy(server, client) }()
		go p.serverToClient(server, client)
	}
}

func (p *flakyProxy) serverToClient(server, client net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := server.Read(buf)
		if err != nil {
			_ = client.Close()
			return
		}
		for p.stalled.Load() {
			time.Sleep(time.Millisecond)
		}
		if _, err := client.Write(buf[:n]); err != nil {
			_ = server.Close()
			return
		}
	}
}

// stallAndReset holds server→client traffic for stall, then resets every
// connection (RST, not FIN), dropping what was held.
func (p *flakyProxy) stallAndReset(stall time.Duration) {
	p.stalled.Store(true)
	time.Sleep(stall)
	p.resetAll()
	p.stalled.Store(false)
	p.resets.Add(1)
}

func (p *flakyProxy) resetAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		_ = c.Close()
	}
	p.conns = nil
}

// connectVia connects a scoring instance to NATS through url, reconnecting
// quickly and forever, as a production client should.
func connectVia(t testing.TB, url string) jetstream.JetStream {
	t.Helper()
	_, js := devstacktest.Connect(t, url, nats.MaxReconnects(-1), nats.ReconnectWait(20*time.Millisecond), nats.ReconnectJitter(0, 0))
	return js
}

// Messages lost between the server and the engine (the connection is reset
// while the server's bytes are in flight, several times, under load) must
// be read again, never acknowledged or skipped: the stored scores are the
// exact sums. Events are +1 each, so what is missing is the lost count.
func TestExactSumsWhenTheConnectionLosesMessages(t *testing.T) {
	const (
		partitions = 4
		profiles   = 50
		events     = 60_000
		minResets  = 4
	)
	eachRig(t, partitions, func(t *testing.T, r *rig) {
		proxy := startFlakyProxy(t, strings.TrimPrefix(r.nc.ConnectedUrl(), "nats://"))
		stop := runConsumer(t, r.newConsumer(t, ConsumerConfig{PartitionCount: partitions, Flush: FlushPolicy{Interval: 100 * time.Millisecond}},
			consumerDeps{js: connectVia(t, proxy.URL())}))
		t.Cleanup(func() {
			if err := stop(); err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("consumer: %v", err)
			}
		})

		// The faults: every 400 ms, a 60 ms stall and a reset, until the
		// load is published and at least minResets happened.
		published := make(chan error, 1)
		faultsDone := make(chan struct{})
		go func() {
			defer close(faultsDone)
			tick := time.NewTicker(400 * time.Millisecond)
			defer tick.Stop()
			pubDone := false
			for !pubDone || proxy.resets.Load() < minResets {
				select {
				case err := <-published:
					published <- err
					pubDone = true
				case <-tick.C:
					proxy.stallAndReset(60 * time.Millisecond)
				case <-t.Context().Done():
					return
				}
			}
		}()
		// The load, published straight to the server (the publisher is not
		// under test), spread over a few seconds so the resets land in it.
		go func() {
			for i := range events {
				p := fmt.Sprintf("p-%d", i%profiles)
				if _, err := r.js.PublishAsync(Subject(p), []byte(`{"profile_id":"`+p+`","kind":"like","delta":1}`)); err != nil {
					published <- err
					return
				}
				if i%2_000 == 1_999 {
					<-r.js.PublishAsyncComplete()
					time.Sleep(100 * time.Millisecond)
				}
			}
			<-r.js.PublishAsyncComplete()
			published <- nil
		}()
		<-faultsDone
		if err := <-published; err != nil {
			t.Fatal(err)
		}
		t.Logf("%d connection resets during the load", proxy.resets.Load())

		want := events / profiles
		var wrong, missing int64
		deadline := time.Now().Add(60 * time.Second)
		for {
			wrong, missing = 0, 0
			for i := range profiles {
				sc, err := r.store.Score(t.Context(), fmt.Sprintf("p-%d", i))
				if err != nil && !errors.Is(err, ErrNotFound) {
					t.Fatal(err)
				}
				if sc.Score != int64(want) {
					wrong++
					missing += int64(want) - sc.Score
				}
			}
			if wrong == 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if wrong > 0 {
			t.Fatalf("%d of %d profiles wrong after 60 s: %d of the delta lost (negative: counted twice)", wrong, profiles, missing)
		}
	})
}
