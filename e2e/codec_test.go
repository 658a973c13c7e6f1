package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace/noop"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/sagatrace/sagatrace/internal/auth"
	"github.com/sagatrace/sagatrace/internal/component"
	"github.com/sagatrace/sagatrace/internal/drill"
	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/natsauth"
	"github.com/sagatrace/sagatrace/internal/operator"
	"github.com/sagatrace/sagatrace/internal/payloadcodec"
	"github.com/sagatrace/sagatrace/internal/servicetest"
	"github.com/sagatrace/sagatrace/internal/stack"
	"github.com/sagatrace/sagatrace/internal/temporalclient"
	"github.com/sagatrace/sagatrace/services/order/orderapi"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
	"github.com/sagatrace/sagatrace/workflows"
)

// codecStack starts a stack of its own with payload encryption on, as
// `sagatrace dev` runs by default (the shared stack keeps payloads in clear,
// as a stack upgraded from before the codec does).
func codecStack(t *testing.T) *stack.Stack {
	t.Helper()
	return startOwnStack(t, ownStackConfig{payloadEncryption: true, traced: true}).stack
}

// codecClient dials s's Temporal with the codec of keyFile, as every
// sagatrace client of an encrypting stack does.
func codecClient(t *testing.T, s *stack.Stack, keyFile string) client.Client {
	t.Helper()
	codec, err := payloadcodec.LoadCodec(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	c, err := temporalclient.Dial(t.Context(), temporalclient.Options{
		Address: s.Temporal.HostPort(), Namespace: "default", TracerProvider: noop.NewTracerProvider(),
		Logger: slog.New(slog.DiscardHandler), Codec: codec,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// secretSaga is a saga whose personal data the tests look for.
type secretSaga struct {
	in workflows.Input
}

func newSecretSaga() secretSaga {
	dtid := ids.NewDTID()
	in := sagaInput(dtid)
	suffix := dtid[len(dtid)-8:]
	in.CustomerID = "cust-secret-" + suffix
	in.CardToken, in.CardLast4 = "tok_secret_"+suffix, "4242"
	in.AmountCents, in.Items[0].PriceCents = 7531, 7531
	return secretSaga{in: in}
}

// inClear lists what of the saga's personal data text shows.
func (s secretSaga) inClear(text string) []string {
	var found []string
	for _, v := range []string{s.in.CustomerID, s.in.CardToken, "amount_cents", "card_last4"} {
		if strings.Contains(text, v) {
			found = append(found, v)
		}
	}
	return found
}

func (s secretSaga) run(t *testing.T, c client.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.WorkflowID(s.in.DTID), TaskQueue: workflows.TaskQueue},
		workflows.WorkflowType, s.in)
	if err != nil {
		t.Fatalf("start saga: %v", err)
	}
	var st workflows.State
	if err := run.Get(ctx, &st); err != nil {
		t.Fatalf("saga %s: %v", s.in.DTID, err)
	}
	if st.Status != workflows.StatusCompleted {
		t.Fatalf("saga %s ended %s, want completed", s.in.DTID, st.Status)
	}
}

// show is `temporal workflow show --output json` of the saga, with extra
// flags (the codec endpoint and its token).
func (s secretSaga) show(t *testing.T, st *stack.Stack, extra ...string) string {
	t.Helper()
	args := append([]string{"workflow", "show", "--output", "json", "--address", st.Temporal.HostPort(),
		"--workflow-id", workflows.WorkflowID(s.in.DTID)}, extra...)
	return withPayloadData(cli(t, args...))
}

var payloadData = regexp.MustCompile(`"data":\s*"([A-Za-z0-9+/=]*)"`)

// withPayloadData appends to a history in protobuf JSON the data of its
// payloads, which protobuf JSON writes in base64: what anyone who reads the
// history reads, once undone.
func withPayloadData(history string) string {
	var b strings.Builder
	b.WriteString(history)
	for _, m := range payloadData.FindAllStringSubmatch(history, -1) {
		if data, err := base64.StdEncoding.DecodeString(m[1]); err == nil {
			b.WriteString("\n")
			b.Write(data)
		}
	}
	return b.String()
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// TestSagaPayloadsAreEncryptedInTemporal runs sagas on a stack that
// encrypts, and reads them back as an operator with the Temporal CLI and as
// the Temporal UI does.
func TestSagaPayloadsAreEncryptedInTemporal(t *testing.T) {
	s := codecStack(t)
	tc := codecClient(t, s, s.CodecKeyFile)
	first := newSecretSaga()
	first.run(t, tc)
	keys, err := payloadcodec.LoadKeyFile(s.CodecKeyFile)
	if err != nil {
		t.Fatal(err)
	}
	firstKey := keys.Keys[0].ID
	issuer := auth.NewIssuer(s.Keys.Private, "")
	token := func(scopes ...string) string {
		tok, err := issuer.Mint(auth.Grant{Subject: "e2e-operator", Audience: []string{payloadcodec.Audience}, Scopes: scopes, TTL: 5 * time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	decodeFlags := func(codecURL string) []string {
		return []string{"--codec-endpoint", codecURL, "--codec-auth", "Bearer " + token(payloadcodec.ScopeDecode)}
	}

	t.Run("raw_history_holds_no_personal_data", func(t *testing.T) {
		raw := first.show(t, s)
		if found := first.inClear(raw); len(found) > 0 {
			t.Errorf("the raw history shows %v in clear", found)
		}
		// Not vacuous: the history is there, its payloads encrypted with
		// the current key, its DTID (a search attribute) in clear.
		for _, want := range []string{b64(payloadcodec.Encoding), b64(firstKey), first.in.DTID} {
			if !strings.Contains(raw, want) {
				t.Errorf("the raw history lacks %q", want)
			}
		}
	})

	t.Run("cli_with_the_codec_endpoint_decodes", func(t *testing.T) {
		decoded := first.show(t, s, decodeFlags(s.Codec.URL())...)
		if found := first.inClear(decoded); len(found) != 4 {
			t.Errorf("decoded through the codec server, the history shows only %v of the saga's data", found)
		}
		// The variables the banner prints work as the flags do.
		cmd := exec.CommandContext(t.Context(), shared.tools.Temporal, "workflow", "show", "--output", "json", "--address", s.Temporal.HostPort(),
			"--workflow-id", workflows.WorkflowID(first.in.DTID))
		cmd.Env = append(os.Environ(), "TEMPORAL_CODEC_ENDPOINT="+s.Codec.URL(), "TEMPORAL_CODEC_AUTH=Bearer "+token(payloadcodec.ScopeDecode))
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(withPayloadData(string(out)), first.in.CustomerID) {
			t.Errorf("temporal workflow show with TEMPORAL_CODEC_ENDPOINT and TEMPORAL_CODEC_AUTH: %v, decoded: %v", err, strings.Contains(withPayloadData(string(out)), first.in.CustomerID))
		}
	})

	bin := buildSagatrace(t)
	t.Run("operator_commands_decrypt", func(t *testing.T) {
		// trace reads the input from the raw history (the amount) and the
		// operator's list asks each saga's state: both decrypt.
		out, err := exec.CommandContext(t.Context(), bin, "trace", first.in.DTID, "--temporal-address", s.Temporal.HostPort(),
			"--jaeger-url", s.Jaeger.QueryURL(), "--wait", "0", "--codec-key-file", s.CodecKeyFile).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "75.31 USD") {
			t.Errorf("sagatrace trace --codec-key-file: %v, want the amount 75.31 USD\n%s", err, out)
		}
		eventually(t, 30*time.Second, func() (bool, string) {
			out, err := exec.CommandContext(t.Context(), bin, "sagas", "--status", "completed", "--json", "--temporal-address", s.Temporal.HostPort(),
				"--codec-key-file", s.CodecKeyFile).CombinedOutput()
			return err == nil && strings.Contains(string(out), first.in.DTID), fmt.Sprintf("sagatrace sagas --status completed: %v\n%s", err, out)
		})
	})

	// One of the saga's encrypted payloads, as the UI sends it to decode.
	encrypted := encryptedInput(t, s, first)

	t.Run("codec_server_refuses_callers_without_the_right_token", func(t *testing.T) {
		for _, tt := range []struct {
			name, path, token string
			want              int
		}{
			{"no_token", "/decode", "", http.StatusUnauthorized},
			{"no_token_encode", "/encode", "", http.StatusUnauthorized},
			{"encode_scope_only", "/decode", token(payloadcodec.ScopeEncode), http.StatusForbidden},
			{"decode_scope", "/decode", token(payloadcodec.ScopeDecode), http.StatusOK},
		} {
			status, _, body := postCodec(t, s.Codec.URL()+tt.path, encrypted, map[string]string{"Authorization": bearerOrNone(tt.token)})
			if status != tt.want {
				t.Errorf("%s: POST %s = %d %s, want %d", tt.name, tt.path, status, body, tt.want)
			}
			if status == http.StatusOK && !strings.Contains(decodedData(t, body), first.in.CustomerID) {
				t.Errorf("%s: the decoded payload lacks the customer ID: %s", tt.name, body)
			}
		}
	})

	t.Run("ui_endpoint_decodes_for_the_ui_origin_only", func(t *testing.T) {
		origin := s.Temporal.UIURL()
		// The browser's preflight, then the UI's request.
		req, err := http.NewRequestWithContext(t.Context(), http.MethodOptions, s.CodecUIEndpoint+"/decode", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type,x-namespace")
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != origin ||
			!strings.Contains(strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers")), "x-namespace") {
			t.Errorf("preflight from the UI: %d, allow-origin %q, allow-headers %q", resp.StatusCode,
				resp.Header.Get("Access-Control-Allow-Origin"), resp.Header.Get("Access-Control-Allow-Headers"))
		}
		uiHeaders := map[string]string{"Origin": origin, "X-Namespace": "default"}
		status, hdr, body := postCodec(t, s.CodecUIEndpoint+"/decode", encrypted, uiHeaders)
		if status != http.StatusOK || hdr.Get("Access-Control-Allow-Origin") != origin || !strings.Contains(decodedData(t, body), first.in.CustomerID) {
			t.Errorf("decode from the UI's origin: %d, allow-origin %q: %s", status, hdr.Get("Access-Control-Allow-Origin"), body)
		}
		// Refused: another origin, no origin (curl), a wrong secret.
		for _, tt := range []struct {
			name, url, origin string
			want              int
		}{
			{"other_origin", s.CodecUIEndpoint + "/decode", "http://evil.example", http.StatusForbidden},
			{"no_origin", s.CodecUIEndpoint + "/decode", "", http.StatusForbidden},
			{"wrong_secret", s.Codec.URL() + "/ui/AAAAAAAAAAAAAAAAAAAAAAAAAA/decode", origin, http.StatusNotFound},
			{"encode", s.CodecUIEndpoint + "/encode", origin, http.StatusNotFound},
		} {
			status, _, body := postCodec(t, tt.url, encrypted, map[string]string{"Origin": tt.origin})
			if status != tt.want {
				t.Errorf("%s: %d %s, want %d", tt.name, status, body, tt.want)
			}
		}
		// And the Temporal UI is configured with exactly that endpoint.
		var settings struct{ Codec struct{ Endpoint string } }
		getJSONNoAuth(t, s.Temporal.UIURL()+"/api/v1/settings", &settings)
		if settings.Codec.Endpoint != s.CodecUIEndpoint {
			t.Errorf("the Temporal UI's codec endpoint = %q, want %q", settings.Codec.Endpoint, s.CodecUIEndpoint)
		}
	})

	// The drill and `sagatrace start` are clients too: with the stack's key
	// file they start, read and check encrypted sagas; the worker-killed
	// drill runs its own worker process, given the same file.
	t.Run("drill_and_start_run_encrypted", func(t *testing.T) {
		for _, scenario := range []string{"order-fails", "worker-killed"} {
			var progress servicetest.LockedBuffer
			rep, err := drill.Run(t.Context(), drill.Options{
				Scenarios: []string{scenario}, Sagas: 2, Concurrency: 2, SagaTimeout: 3 * time.Minute,
				TemporalAddress: s.Temporal.HostPort(), Namespace: "default",
				PaymentURL: s.Service(paymentapi.Audience).URL(), OrderURL: s.Service(orderapi.Audience).URL(), ScoringURL: s.Scoring.URL(),
				JaegerURL: s.Jaeger.QueryURL(), NATSURL: s.NATS.ClientURL(), NATSSeedFile: s.NATSKeys.Seeds[natsauth.Worker], OTLPEndpoint: "http://" + s.Jaeger.OTLPHTTPEndpoint(),
				WorkerBinary: bin, Progress: &progress, Auth: auth.ClientConfig{KeyFile: s.Keys.PrivateKeyFile}, CodecKeyFile: s.CodecKeyFile,
			})
			if err != nil {
				t.Fatalf("drill %s: %v\n%s", scenario, err, progress.String())
			}
			if n := rep.Violations(); n > 0 || len(rep.Scenarios) != 1 || rep.Scenarios[0].Sagas != 2 {
				var table bytes.Buffer
				rep.Print(&table, drill.Links{Namespace: "default"})
				t.Errorf("drill %s on an encrypting stack: %d violations\n%s\n%s", scenario, n, table.String(), progress.String())
			}
		}
		cmd := exec.CommandContext(t.Context(), bin, "start", "--customer", "cust-start-codec", "--profile", "p-codec", "--amount", "3.21",
			"--temporal-address", s.Temporal.HostPort(), "--otlp-endpoint", "", "--codec-key-file", s.CodecKeyFile)
		cmd.Env = append(os.Environ(), "OTEL_TRACES_EXPORTER=none")
		if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "completed") {
			t.Errorf("sagatrace start --codec-key-file: %v\n%s", err, out)
		}
	})

	t.Run("rotated_key_decodes_old_sagas_and_encrypts_new_ones", func(t *testing.T) {
		newKey, err := payloadcodec.Rotate(s.CodecKeyFile, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		// As the operator does after a rotation: restart the worker and the
		// codec server, which read the key file at start.
		restartWorker(t, s)
		codecSrv, err := component.StartCodec(t.Context(), component.CodecConfig{
			Common: component.Common{Logger: slog.New(slog.DiscardHandler), TracingDisabled: true}, Listen: "127.0.0.1:0",
			KeyFile: s.CodecKeyFile, Auth: component.ServiceAuth{PublicKeyFile: s.Keys.PublicKeyFile},
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = codecSrv.Stop(context.Background()) })
		second := newSecretSaga()
		second.run(t, codecClient(t, s, s.CodecKeyFile))

		raw := second.show(t, s)
		if found := second.inClear(raw); len(found) > 0 {
			t.Errorf("the new saga's raw history shows %v in clear", found)
		}
		if !strings.Contains(raw, b64(newKey.ID)) {
			t.Errorf("the new saga's payloads do not name the new key %s", newKey.ID)
		}
		if strings.Contains(raw, b64(firstKey)) {
			t.Errorf("the new saga's payloads still name the old key %s", firstKey)
		}
		for _, saga := range []secretSaga{first, second} {
			decoded := saga.show(t, s, decodeFlags(codecSrv.URL())...)
			if found := saga.inClear(decoded); len(found) != 4 {
				t.Errorf("saga %s through the rotated codec server shows only %v", saga.in.DTID, found)
			}
		}
	})
}

// encryptedInput is the saga's input payload as Temporal stores it, in
// the protobuf JSON of the remote codec protocol.
func encryptedInput(t *testing.T, s *stack.Stack, saga secretSaga) []byte {
	t.Helper()
	c := codecClient(t, s, s.CodecKeyFile)
	it := c.GetWorkflowHistory(t.Context(), workflows.WorkflowID(saga.in.DTID), "", false, 0)
	ev, err := it.Next()
	if err != nil {
		t.Fatal(err)
	}
	payloads := ev.GetWorkflowExecutionStartedEventAttributes().GetInput()
	if got := string(payloads.GetPayloads()[0].GetMetadata()["encoding"]); got != payloadcodec.Encoding {
		t.Fatalf("the stored input's encoding is %q, want %q", got, payloadcodec.Encoding)
	}
	body, err := protojson.Marshal(payloads)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func bearerOrNone(token string) string {
	if token == "" {
		return ""
	}
	return "Bearer " + token
}

// postCodec POSTs payloads to a codec route with headers (empty ones
// omitted) and returns the status, the headers and the body.
func postCodec(t *testing.T, url string, payloads []byte, headers map[string]string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, bytes.NewReader(payloads))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		if v != "" {
			req.Header.Set(k, v)
		}
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(body)
}

// decodedData is the data of the payloads of a decode answer, as text.
func decodedData(t *testing.T, body string) string {
	t.Helper()
	var ps commonpb.Payloads
	if err := protojson.Unmarshal([]byte(body), &ps); err != nil {
		t.Fatalf("decode answer %q: %v", body, err)
	}
	var b strings.Builder
	for _, p := range ps.GetPayloads() {
		b.Write(p.GetData())
	}
	return b.String()
}

func getJSONNoAuth(t *testing.T, url string, out any) {
	t.Helper()
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// restartWorker stops s's saga worker and starts another with the same
// settings, which reads the key file anew.
func restartWorker(t *testing.T, s *stack.Stack) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	if err := s.Worker.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	w, err := component.StartWorker(t.Context(), component.WorkerConfig{
		Common:          component.Common{Logger: slog.New(slog.DiscardHandler), TracingDisabled: true, FaultsEnabled: true},
		TemporalAddress: s.Temporal.HostPort(), Namespace: "default",
		ServiceURLs: map[string]string{paymentapi.Audience: s.Service(paymentapi.Audience).URL(), orderapi.Audience: s.Service(orderapi.Audience).URL()},
		NATSURL:     s.NATS.ClientURL(), NATSSeedFile: s.NATSKeys.Seeds[natsauth.Worker],
		Auth: auth.ClientConfig{KeyFile: s.Keys.PrivateKeyFile}, CodecKeyFile: s.CodecKeyFile,
		// The stack's build, as the stack runs it: while a version of the
		// deployment is current, an unversioned worker gets no saga.
		Deployment: component.WorkerDeployment{Name: operator.DeploymentName, BuildID: operator.DefaultBuildID(), MakeCurrent: component.MakeCurrentAlways},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.Stop(context.Background()) })
}
