package e2e

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.temporal.io/sdk/temporal"

	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/natsauth"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
	"github.com/sagatrace/sagatrace/services/scoring"
	"github.com/sagatrace/sagatrace/services/scoring/scoringapi"
	"github.com/sagatrace/sagatrace/workflows"
)

// The card numbers sent in: one plain, one as people type it.
const (
	pan        = "4111111111111111"
	panSpaced  = "5555 5555 5555 4444"
	panDigits2 = "5555555555554444"
)

// A full card number sent through every way in — the payment API, saga
// input and a NATS event — is refused, and afterwards appears in no row
// of any service's database, no stream file, no span that reached Jaeger
// and no log line.
func TestCardNumbersAreStoredLoggedAndTracedNowhere(t *testing.T) {
	// Through the payment API: as an unknown field, in an ID, as the token,
	// inside the token and as last4. Each is a 400 that does not repeat it.
	bodies := map[string]string{
		"card_number_field": `{"dtid":"%s","customer_id":"c-1","amount_cents":100,"currency":"USD","card_number":"` + pan + `"}`,
		"customer_id":       `{"dtid":"%s","customer_id":"` + pan + `","amount_cents":100,"currency":"USD"}`,
		"card_token":        `{"dtid":"%s","customer_id":"c-1","amount_cents":100,"currency":"USD","card_token":"` + panSpaced + `","card_last4":"4444"}`,
		"inside_token":      `{"dtid":"%s","customer_id":"c-1","amount_cents":100,"currency":"USD","card_token":"tok_` + pan + `","card_last4":"1111"}`,
		"card_last4":        `{"dtid":"%s","customer_id":"c-1","amount_cents":100,"currency":"USD","card_token":"tok_visa","card_last4":"` + pan + `"}`,
		// A field whose problem quotes the bad value: redacted on the way out.
		"currency": `{"dtid":"%s","customer_id":"c-1","amount_cents":100,"currency":"` + pan + `"}`,
	}
	for name, body := range bodies {
		t.Run("api/"+name, func(t *testing.T) {
			dtid := ids.NewDTID()
			status, answer := postJSON(t, shared.stack.Service(paymentapi.Audience).URL()+"/v1/payments", "card-"+dtid, strings.Replace(body, "%s", dtid, 1))
			if status != http.StatusBadRequest {
				t.Errorf("status %d, want 400: %s", status, answer)
			}
			if containsCard(answer) {
				t.Errorf("the answer repeats the card number: %s", answer)
			}
		})
	}

	// Through saga input: refused before any service is called.
	for name, mutate := range map[string]func(*workflows.Input){
		"customer_id": func(in *workflows.Input) { in.CustomerID = pan },
		"card_token":  func(in *workflows.Input) { in.CardToken, in.CardLast4 = panSpaced, "4444" },
		"sku":         func(in *workflows.Input) { in.Items[0].SKU = pan },
		// quoted back in the failure, which reaches spans and logs: redacted
		"currency": func(in *workflows.Input) { in.Currency = pan },
	} {
		t.Run("saga/"+name, func(t *testing.T) {
			in := sagaInput(ids.NewDTID())
			mutate(&in)
			_, err := runSaga(t, in)
			var app *temporal.ApplicationError
			if !errors.As(err, &app) || app.Type() != workflows.ErrTypeInvalidInput {
				t.Fatalf("saga error = %v, want %s", err, workflows.ErrTypeInvalidInput)
			}
		})
	}

	// A saga with a token and last4 goes through; last4 is what is kept.
	in := sagaInput(ids.NewDTID())
	in.CardToken, in.CardLast4 = "tok_visa_4242", "4242"
	if _, err := runSaga(t, in); err != nil {
		t.Fatalf("saga with a card token: %v", err)
	}
	payments := paymentsOf(t, in.DTID)
	if len(payments) != 1 || payments[0].CardLast4 != "4242" || payments[0].CardToken != "tok_visa_4242" {
		t.Errorf("payments = %+v, want one with card tok_visa_4242 / 4242", payments)
	}

	// Through NATS: as a profile, and inside an unknown field.
	_, js := natsAs(t, natsauth.Operator)
	marker := ids.NewDTID()
	for _, data := range []string{
		`{"profile_id":"` + pan + `","kind":"like","delta":1}`,
		`{"profile_id":"p-card","kind":"like","delta":1,"card":"` + panSpaced + `"}`,
	} {
		msg := &nats.Msg{Subject: scoringapi.Subject("p-card"), Data: []byte(data), Header: nats.Header{"Dtid": {marker}}}
		if _, err := js.PublishMsg(t.Context(), msg); err != nil {
			t.Fatal(err)
		}
	}
	dlq, err := js.OrderedConsumer(t.Context(), scoring.DLQStreamName, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	deadLettered := 0
	deadline := time.Now().Add(30 * time.Second)
	for deadLettered < 2 && time.Now().Before(deadline) {
		m, err := dlq.Next(jetstream.FetchMaxWait(time.Second))
		if err != nil {
			continue
		}
		if m.Headers().Get("Dtid") == marker {
			deadLettered++
		}
	}
	if deadLettered != 2 {
		t.Fatalf("%d of the 2 card-holding events reached the DLQ", deadLettered)
	}

	// Spans reach Jaeger in batches of a second; give them time, then look
	// everywhere.
	time.Sleep(3 * time.Second)
	assertNoCardInFiles(t, shared.stack.DataDir())
	assertNoCardInJaeger(t)
}

func containsCard(s string) bool {
	return strings.Contains(s, pan) || strings.Contains(s, panSpaced) || strings.Contains(s, panDigits2)
}

// assertNoCardInFiles reads every file of the stack's data dir: the
// services' SQLite databases (and their WAL), JetStream's files and the
// services' log. Temporal's own database is left out: Temporal keeps a
// workflow's input as given (the refused inputs above included); keeping
// card data out of it needs a payload codec that encrypts, see the README.
func assertNoCardInFiles(t *testing.T, dir string) {
	t.Helper()
	checked := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(d.Name(), "temporal.db") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		checked++
		if bytes.Contains(data, []byte(pan)) || bytes.Contains(data, []byte(panSpaced)) || bytes.Contains(data, []byte(panDigits2)) {
			t.Errorf("%s holds a card number", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 5 {
		t.Fatalf("read %d files under %s; the databases, streams and log were expected", checked, dir)
	}
}

// assertNoCardInJaeger reads every trace of every service from Jaeger's
// API, as exported, and looks for the numbers in the raw JSON.
func assertNoCardInJaeger(t *testing.T) {
	t.Helper()
	services, err := shared.jaeger.Services(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, svc := range services {
		q := url.Values{"service": {svc}, "lookback": {"2h"}, "limit": {"100000"}}
		resp, err := http.Get(shared.stack.Jaeger.QueryURL() + "/api/traces?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		raw, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("Jaeger traces of %s: %s", svc, resp.Status)
		}
		if containsCard(string(raw)) {
			t.Errorf("a span of service %s exported a card number", svc)
		}
	}
}
