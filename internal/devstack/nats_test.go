package devstack_test

import (
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sagatrace/sagatrace/internal/devstack"
	"github.com/sagatrace/sagatrace/internal/devstack/devstacktest"
)

func TestNATS(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	_, _, js := devstacktest.JetStream(t) // devstack.StartNATS, connected
	stream, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "EVENTS", Subjects: []string{"events.>"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, "events.one", []byte("hello")); err != nil {
		t.Fatal(err)
	}

	cons, err := stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	msg, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if msg.Subject() != "events.one" || string(msg.Data()) != "hello" {
		t.Errorf("got %s %q, want events.one \"hello\"", msg.Subject(), msg.Data())
	}
}

func TestNATSRequiresStoreDir(t *testing.T) {
	t.Parallel()
	if _, err := devstack.StartNATS(t.Context(), devstack.NATSOptions{}); err == nil {
		t.Fatal("StartNATS without StoreDir succeeded, want an error")
	}
}
