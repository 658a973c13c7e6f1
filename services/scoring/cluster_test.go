package scoring

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sagatrace/sagatrace/internal/database/dbtest"
	"github.com/sagatrace/sagatrace/internal/devstack/devstacktest"
)

// freePort returns a port nothing listens on now. A cluster's ports must
// be known before its servers start, since each lists the others' routes.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startCluster starts three embedded NATS servers with JetStream, routed
// into one cluster, and returns them and a client URL listing all three.
// All six ports are free ones picked before any server starts, so that no
// server's own random port can take one meant for another.
func startCluster(t *testing.T) ([]*server.Server, string) {
	t.Helper()
	clientPorts, routePorts, routes := make([]int, 3), make([]int, 3), make([]string, 3)
	for i := range 3 {
		clientPorts[i], routePorts[i] = freePort(t), freePort(t)
		routes[i] = "nats://127.0.0.1:" + strconv.Itoa(routePorts[i])
	}
	var servers []*server.Server
	var urls []string
	for i := range 3 {
		s, err := server.NewServer(&server.Options{
			ServerName: "n" + strconv.Itoa(i), Host: "127.0.0.1", Port: clientPorts[i], NoSigs: true,
			JetStream: true, StoreDir: filepath.Join(t.TempDir(), "n"+strconv.Itoa(i)),
			Cluster: server.ClusterOpts{Name: "sagatrace", Host: "127.0.0.1", Port: routePorts[i]},
			Routes:  server.RoutesFromStr(strings.Join(routes, ",")),
		})
		if err != nil {
			t.Fatal(err)
		}
		go s.Start()
		t.Cleanup(s.Shutdown)
		servers = append(servers, s)
	}
	for i, s := range servers {
		if !s.ReadyForConnections(30 * time.Second) {
			t.Fatalf("server %d not ready", i)
		}
		urls = append(urls, s.ClientURL())
	}
	return servers, strings.Join(urls, ",")
}

// testWriter sends log lines to the test's log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// A three-node NATS cluster with the stream, its DLQ and the membership
// replicated three times; the node leading the stream is shut down under
// load. Publishes that fail are retried with the same message ID; the
// engine's consumers on the dead node are recreated on the others; the
// scores are the exact sums.
func TestExactSumsWhenAClusterNodeDies(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs a three-node NATS cluster")
	}
	backends.Each(t, func(t *testing.T, backend dbtest.Backend) {
		const partitions, events, profiles = 4, 12_000, 61
		servers, url := startCluster(t)
		connect := func() jetstream.JetStream {
			_, js := devstacktest.Connect(t, url, nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
			return js
		}
		js := connect()
		// The cluster elects its JetStream meta leader on its own clock.
		waitFor(t, 60*time.Second, "the R3 streams", func() bool {
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			return EnsureStreams(ctx, js, StreamConfig{Partitions: partitions, Replicas: 3}, slog.New(slog.DiscardHandler)) == nil
		})
		r := &rig{js: connect(), store: openStore(t, backend.URL(t))} // NATS is the cluster
		c := r.newConsumer(t, ConsumerConfig{PartitionCount: partitions, Replicas: 3, Flush: FlushPolicy{Interval: 100 * time.Millisecond}},
			consumerDeps{logger: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))})
		runConsumer(t, c)

		// Four publishers, each retrying a failed publish with the same
		// message ID until the cluster stores it (once, by its ID).
		pub := connect()
		want := make([]map[string]int64, 4)
		var wg sync.WaitGroup
		var sent sync.WaitGroup
		sent.Add(1)
		errs := make(chan error, 4)
		for w := range 4 {
			want[w] = map[string]int64{}
			wg.Go(func() {
				for i := w; i < events; i += 4 {
					if i == events/3 {
						sent.Done()
					}
					profile := fmt.Sprintf("p-%d", i%profiles)
					delta := int64(i%9 - 4)
					want[w][profile] += delta
					msg := &nats.Msg{Subject: Subject(profile), Data: fmt.Appendf(nil, `{"profile_id":%q,"kind":"k","delta":%d}`, profile, delta)}
					deadline := time.Now().Add(60 * time.Second)
					for {
						pctx, pcancel := context.WithTimeout(t.Context(), 2*time.Second)
						_, err := pub.PublishMsg(pctx, msg, jetstream.WithMsgID("e-"+strconv.Itoa(i)))
						pcancel()
						if err == nil {
							break
						}
						if time.Now().After(deadline) {
							errs <- fmt.Errorf("event %d not stored within 60 s: %w", i, err)
							return
						}
						time.Sleep(50 * time.Millisecond)
					}
				}
			})
		}
		sent.Wait()
		s, err := js.Stream(t.Context(), StreamName)
		if err != nil {
			t.Fatal(err)
		}
		info, err := s.Info(t.Context())
		if err != nil || info.Cluster == nil {
			t.Fatalf("stream info: %v", err)
		}
		for _, srv := range servers {
			if srv.Name() == info.Cluster.Leader {
				t.Logf("shutting down %s, the stream's leader, after %d of %d events", srv.Name(), events/3, events)
				srv.Shutdown()
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		total := map[string]int64{}
		for _, m := range want {
			for p, d := range m {
				total[p] += d
			}
		}
		if !r.scoresReach(t, total, 60*time.Second) {
			// Tell a stream that stored an event twice (or lost one) from an
			// engine that counted one twice (or skipped one).
			inStream, dups := streamSums(t, js, events)
			for p, want := range total {
				got, _ := r.store.Score(t.Context(), p)
				if got.Score != want || inStream[p] != want {
					t.Errorf("profile %s: stored %d, stream holds %d, published %d", p, got.Score, inStream[p], want)
				}
			}
			var offsets []uint64
			for p := range partitions {
				off, _ := r.store.Offset(t.Context(), p)
				offsets = append(offsets, off)
			}
			ev, rows := c.CommittedTotals()
			t.Fatalf("scores are not the exact sums (message IDs stored twice in the stream: %d); offsets %v, running %v, committed %d events %d rows",
				dups, offsets, c.Running(), ev, rows)
		}
	})
}

// streamSums reads the whole scoring stream and sums it per profile.
func streamSums(t *testing.T, js jetstream.JetStream, n int) (map[string]int64, int) {
	t.Helper()
	cons, err := js.OrderedConsumer(t.Context(), StreamName, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := cons.Messages()
	if err != nil {
		t.Fatal(err)
	}
	defer msgs.Stop()
	sums, ids, dups := map[string]int64{}, map[string]bool{}, 0
	for {
		ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
		m, err := msgs.Next(jetstream.NextContext(ctx))
		cancel()
		if err != nil {
			break
		}
		ev, err := Decode(m.Data())
		if err != nil {
			continue
		}
		if id := m.Headers().Get("Nats-Msg-Id"); ids[id] {
			dups++
		} else {
			ids[id] = true
		}
		sums[ev.ProfileID] += ev.Delta
	}
	t.Logf("the stream holds %d distinct message IDs of %d published", len(ids), n)
	return sums, dups
}
