package payment_test

import (
	"os"
	"testing"

	"github.com/sagatrace/sagatrace/services/payment/paymentapi"

	"github.com/sagatrace/sagatrace/internal/database/dbtest"
	"github.com/sagatrace/sagatrace/internal/servicetest"
	"github.com/sagatrace/sagatrace/services/payment"
)

// env is one payment server on the shared rig (a real database, served
// by httptest, spans of both sides recorded), reached through the real
// paymentapi.Client.
type env struct {
	*servicetest.Env
	client *paymentapi.Client
}

// backends runs each test on SQLite and on PostgreSQL; its cluster starts
// with the first PostgreSQL subtest.
var backends dbtest.Backends

func TestMain(m *testing.M) { os.Exit(backends.Run(m)) }

// newEnv serves the service on a fresh database of backend.
func newEnv(t *testing.T, backend dbtest.Backend, cfg payment.Config) *env {
	t.Helper()
	e := servicetest.New(t, "payment", backend.URL(t), servicetest.Ledger(t, cfg, payment.NewHandler))
	return &env{Env: e, client: paymentapi.NewClient(e.URL, e.HTTPClient)}
}

// event is an audit row as stored; a local type, so tests write it unkeyed.
type event servicetest.Event

// events returns the audit rows of a payment, oldest first.
func (e *env) events(t *testing.T, paymentID string) []event {
	t.Helper()
	rows := e.Events(t, `SELECT ev.dtid, ev.state, ev.correlation_id FROM payment_events ev
		JOIN payments p ON p.id = ev.payment WHERE p.payment_id = $1 ORDER BY ev.id`, paymentID)
	out := make([]event, len(rows))
	for i, r := range rows {
		out[i] = event(r)
	}
	return out
}

func chargeReq(dtid string) paymentapi.ChargeRequest {
	return paymentapi.ChargeRequest{DTID: dtid, CustomerID: "c-1", AmountCents: 1299, Currency: "USD"}
}

func states(h []paymentapi.StateChange) []paymentapi.State {
	out := make([]paymentapi.State, len(h))
	for i, c := range h {
		out[i] = c.State
	}
	return out
}
