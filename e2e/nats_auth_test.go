package e2e

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/natsauth"
	"github.com/sagatrace/sagatrace/services/scoring"
	"github.com/sagatrace/sagatrace/services/scoring/scoringapi"
)

// The real nats CLI without credentials is refused, whatever the subject:
// a scoring event or a dead letter.
func TestNATSRefusesAnonymousPublish(t *testing.T) {
	for _, subject := range []string{scoringapi.Subject("x"), scoring.DLQPrefix + "x"} {
		t.Run(subject, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			out, err := exec.CommandContext(ctx, shared.tools.NATS, "--server", shared.stack.NATS.ClientURL(), "--timeout", "5s",
				"pub", subject, `{"profile_id":"x","kind":"like","delta":1}`).CombinedOutput()
			if err == nil {
				t.Fatalf("nats pub %s without credentials succeeded:\n%s", subject, out)
			}
			if !strings.Contains(strings.ToLower(string(out)), "authorization violation") {
				t.Errorf("nats pub %s failed, but not for want of credentials: %v\n%s", subject, err, out)
			}
		})
	}
}

// Only the scoring service writes dead letters: the worker's and the
// operator's publishes to scoring.dlq.> are refused by the server and
// never reach the DLQ stream.
func TestNATSDeadLettersOnlyFromScoring(t *testing.T) {
	_, opjs := natsAs(t, natsauth.Operator)
	for _, role := range []natsauth.Role{natsauth.Worker, natsauth.Operator} {
		t.Run(string(role), func(t *testing.T) {
			nc, violations := natsRecordingViolations(t, role)
			subject := scoring.DLQPrefix + "forged-" + ids.NewDTID()[:8]
			if err := nc.Publish(subject, []byte(`{}`)); err != nil {
				t.Fatal(err)
			}
			awaitViolation(t, violations, subject)
			dlq, err := opjs.Stream(t.Context(), scoring.DLQStreamName)
			if err != nil {
				t.Fatal(err)
			}
			info, err := dlq.Info(t.Context(), jetstream.WithSubjectFilter(subject))
			if err != nil {
				t.Fatal(err)
			}
			if n := info.State.Subjects[subject]; n != 0 {
				t.Errorf("the DLQ holds %d messages on %s", n, subject)
			}
		})
	}
}

// No client deletes or purges the scoring stream: not the worker, not
// the operator, not even the scoring service that creates it.
func TestNATSNoRoleDeletesOrPurgesTheStream(t *testing.T) {
	_, opjs := natsAs(t, natsauth.Operator)
	if _, err := opjs.Publish(t.Context(), scoringapi.Subject("p-keep"), []byte(`{"profile_id":"p-keep","kind":"like","delta":1}`)); err != nil {
		t.Fatal(err)
	}
	before := streamInfo(t, opjs)
	for _, role := range natsauth.Roles() {
		for _, api := range []string{"$JS.API.STREAM.DELETE.", "$JS.API.STREAM.PURGE."} {
			for _, stream := range []string{scoring.StreamName, scoring.DLQStreamName} {
				t.Run(string(role)+"/"+api+stream, func(t *testing.T) {
					nc, violations := natsRecordingViolations(t, role)
					if _, err := nc.Request(api+stream, nil, 2*time.Second); err == nil {
						t.Errorf("%s%s as %s was answered", api, stream, role)
					}
					awaitViolation(t, violations, api+stream)
				})
			}
		}
	}
	after := streamInfo(t, opjs)
	if !after.Created.Equal(before.Created) || after.State.Msgs < before.State.Msgs {
		t.Errorf("stream %s changed: before %+v, after %+v", scoring.StreamName, before.State, after.State)
	}
}

// natsRecordingViolations connects as role and reports the permission
// violations the server sends, which a publish never returns itself.
func natsRecordingViolations(t *testing.T, role natsauth.Role) (*nats.Conn, <-chan error) {
	t.Helper()
	violations := make(chan error, 8)
	creds, err := natsauth.Option(shared.stack.NATSKeys.Seeds[role])
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(shared.stack.NATS.ClientURL(), creds,
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			if errors.Is(err, nats.ErrPermissionViolation) {
				violations <- err
			}
		}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc, violations
}

// awaitViolation waits for the server's refusal to publish to subject.
func awaitViolation(t *testing.T, violations <-chan error, subject string) {
	t.Helper()
	select {
	case err := <-violations:
		if !strings.Contains(err.Error(), `"`+subject+`"`) {
			t.Errorf("violation = %v, want one for %s", err, subject)
		}
	case <-time.After(10 * time.Second):
		t.Errorf("the server did not refuse the publish to %s", subject)
	}
}

// streamInfo reads the scoring stream's info as the operator.
func streamInfo(t *testing.T, js jetstream.JetStream) *jetstream.StreamInfo {
	t.Helper()
	s, err := js.Stream(t.Context(), scoring.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return info
}
