// Package natsauth says who may do what on NATS: one nkey user per role
// (the saga worker, the scoring service, an operator with the nats CLI),
// each with the least it needs, and where their keys are kept.
package natsauth

import (
	"github.com/nats-io/nats-server/v2/server"

	"github.com/sagatrace/sagatrace/services/scoring"
	"github.com/sagatrace/sagatrace/services/scoring/scoringapi"
)

// Role is one kind of NATS client, with its own key and permissions.
type Role string

// The roles. Nobody but Scoring writes the dead-letter subjects, and
// nobody may delete or purge a stream: a stream is recreated by the
// scoring service, never removed by a client.
const (
	// Worker publishes scoring events, and nothing else.
	Worker Role = "worker"
	// Scoring owns the SCORING and SCORING_DLQ streams and the membership
	// bucket: it creates and updates them, reads them through its own
	// consumers, writes dead letters and erases a card-holding event.
	Scoring Role = "scoring"
	// Operator is a person with the nats CLI: publishes scoring events,
	// reads every stream, changes none.
	Operator Role = "operator"
)

// Roles lists every role, in a fixed order.
func Roles() []Role { return []Role{Worker, Scoring, Operator} }

// inbox is where JetStream's answers come back: a publish's ack, an API
// reply, a consumer's messages.
const inbox = "_INBOX.>"

// Permissions returns what role may publish and subscribe to.
func Permissions(role Role) *server.Permissions {
	switch role {
	case Worker:
		return &server.Permissions{
			Publish:   &server.SubjectPermission{Allow: []string{scoringapi.SubjectPrefix + ">"}},
			Subscribe: &server.SubjectPermission{Allow: []string{inbox}},
		}
	case Scoring:
		allow := []string{"$JS.API.INFO", scoring.DLQPrefix + ">", "$KV." + scoring.MembersBucket + ".>"}
		for _, s := range []string{scoring.StreamName, scoring.DLQStreamName, "KV_" + scoring.MembersBucket} {
			allow = append(allow, ownedStream(s)...)
		}
		return &server.Permissions{
			Publish:   &server.SubjectPermission{Allow: allow},
			Subscribe: &server.SubjectPermission{Allow: []string{inbox}},
		}
	case Operator:
		return &server.Permissions{
			Publish: &server.SubjectPermission{Allow: []string{
				scoringapi.SubjectPrefix + ">",
				"$JS.API.INFO", "$JS.API.STREAM.NAMES", "$JS.API.STREAM.LIST", "$JS.API.STREAM.INFO.*",
				"$JS.API.STREAM.MSG.GET.*", "$JS.API.DIRECT.GET.*", "$JS.API.DIRECT.GET.*.>",
				"$JS.API.CONSUMER.NAMES.*", "$JS.API.CONSUMER.LIST.*", "$JS.API.CONSUMER.INFO.*.*",
				// Reading a stream (nats stream view, nats sub --stream) is
				// through a consumer of one's own.
				"$JS.API.CONSUMER.CREATE.*", "$JS.API.CONSUMER.CREATE.*.>", "$JS.API.CONSUMER.DELETE.*.*",
				"$JS.API.CONSUMER.MSG.NEXT.*.*", "$JS.FC.>", "$JS.ACK.>",
			}},
			Subscribe: &server.SubjectPermission{Allow: []string{inbox, "scoring.>"}},
		}
	}
	return nil
}

// ownedStream is the JetStream API of a stream its owner uses: info,
// create, update, read and delete single messages, and consumers of its
// own — but neither delete nor purge the stream.
func ownedStream(s string) []string {
	return []string{
		"$JS.API.STREAM.INFO." + s, "$JS.API.STREAM.CREATE." + s, "$JS.API.STREAM.UPDATE." + s,
		"$JS.API.STREAM.MSG.GET." + s, "$JS.API.STREAM.MSG.DELETE." + s,
		"$JS.API.DIRECT.GET." + s, "$JS.API.DIRECT.GET." + s + ".>",
		"$JS.API.CONSUMER.*." + s, "$JS.API.CONSUMER.*." + s + ".>", "$JS.API.CONSUMER.MSG.NEXT." + s + ".>",
		"$JS.FC." + s + ".>", "$JS.ACK." + s + ".>",
	}
}
