package stack

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/sagatrace/sagatrace/internal/component"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
)

// PrintBanner tells the operator, once everything is ready, where every
// part is and what to type next.
func (s *Stack) PrintBanner(w io.Writer) {
	jaeger := s.Jaeger.QueryURL()
	loginURL, err := s.ConsoleLoginURL()
	if err != nil {
		loginURL = s.Console.URL() + "/login (" + err.Error() + ")"
	}
	fmt.Fprintf(w, `
sagatrace dev is ready.

  console      %s   (sagas, their hops and service rows; scoring)
  log in       %s
               (open it: it logs you in for %s with the token in %s;
                later: sagatrace token --aud console --scope console:read,sagas:operate --subject $USER, pasted at /login)
  Temporal     %s   (UI %s)
  Jaeger API   %s/api/services   (OTLP/HTTP %s, OTLP/gRPC %s)
  NATS         %s   (JetStream, stream SCORING; users only: nkeys in %s)
%s  scoring      %s/v1/scores?top=10
  data dir     %s   (temporal.log and jaeger.log are there too)
  auth key     %s   (signs the bearer tokens the services ask for; they check them with %s)

Next steps (in another terminal, from the repository root):

  go run ./cmd/sagatrace start --customer c-1 --profile p-1 --amount 12.99
  go run ./cmd/sagatrace start --customer c-1 --profile p-1 --amount 5 --fault order.create=error
  go run ./cmd/sagatrace trace <DTID>   # every hop of the transaction; or open the console

  go tool -modfile=tools/go.mod temporal workflow start --address %s \
    --task-queue sagas --type OrderSaga \
    --input '{"customer_id":"c-1","profile_id":"p-1","amount_cents":1299,"currency":"USD","items":[{"sku":"sku-1","qty":1,"price_cents":1299}]}'

  # NATS wants credentials: the operator's context file (publish scoring events, read streams)
  go tool -modfile=tools/go.mod nats --context %s pub scoring.events.p-1 '{"profile_id":"p-1","kind":"like","delta":1}'

  # the service APIs want a bearer token: mint one (1 h) with the dev key
  TOKEN=$(go run ./cmd/sagatrace token --key %s --aud payment --scope payments:read)
  curl -s -H "Authorization: Bearer $TOKEN" '%s/v1/payments?dtid=<DTID>'
  curl -s -H "Authorization: Bearer $(go run ./cmd/sagatrace token --key %s --aud scoring --scope scores:read)" %s/v1/scores/p-1

  curl -s '%s/api/traces?service=payment&tags=%%7B%%22dtid%%22%%3A%%22<DTID>%%22%%7D'

%s
Press Ctrl-C to stop everything.
`,
		s.Console.URL(), loginURL, ConsoleLoginTTL, s.ConsoleLoginFile, s.Temporal.HostPort(), s.Temporal.UIURL(), jaeger, s.Jaeger.OTLPHTTPEndpoint(), s.Jaeger.OTLPGRPCEndpoint(),
		s.NATS.ClientURL(), filepath.Dir(s.NATSContext), s.serviceLines(), s.Scoring.URL(), s.cfg.DataDir,
		s.Keys.PrivateKeyFile, s.Keys.PublicKeyFile,
		s.Temporal.HostPort(), s.NATSContext,
		s.Keys.PrivateKeyFile, s.Service(paymentapi.Audience).URL(), s.Keys.PrivateKeyFile, s.Scoring.URL(), jaeger, s.codecLines())
}

// codecLines tell how to read the encrypted payloads, when they are.
func (s *Stack) codecLines() string {
	if s.Codec == nil {
		return "  # saga payloads are stored in clear (--payload-encryption=false)\n"
	}
	return fmt.Sprintf(`  # saga payloads are encrypted (keys in %s); the Temporal UI decodes them through
  # the codec server %s, and so does the temporal CLI given the endpoint and a token:
  export TEMPORAL_CODEC_ENDPOINT=%s
  export TEMPORAL_CODEC_AUTH="Bearer $(go run ./cmd/sagatrace token --key %s --aud codec --scope payloads:decode,payloads:encode)"
  go tool -modfile=tools/go.mod temporal workflow show --address %s --workflow-id order-saga-<DTID>
`, s.CodecKeyFile, s.Codec.URL(), s.Codec.URL(), s.Keys.PrivateKeyFile, s.Temporal.HostPort())
}

// serviceLines lists each ledger service's API, one banner line each.
func (s *Stack) serviceLines() string {
	var b strings.Builder
	for _, svc := range component.Services() {
		fmt.Fprintf(&b, "  %-12s %s%s\n", svc.Name, s.Service(svc.Name).URL(), svc.Collection)
	}
	return b.String()
}
