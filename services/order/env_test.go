package order_test

import (
	"os"
	"testing"

	"github.com/sagatrace/sagatrace/services/order/orderapi"

	"github.com/sagatrace/sagatrace/internal/database/dbtest"
	"github.com/sagatrace/sagatrace/internal/servicetest"
	"github.com/sagatrace/sagatrace/services/order"
)

// env is one order server on the shared rig (a real database, served by
// httptest, spans of both sides recorded), reached through the real orderapi.Client.
type env struct {
	*servicetest.Env
	client *orderapi.Client
}

// backends runs each test on SQLite and on PostgreSQL; its cluster starts
// with the first PostgreSQL subtest.
var backends dbtest.Backends

func TestMain(m *testing.M) { os.Exit(backends.Run(m)) }

// newEnv serves the service on a fresh database of backend.
func newEnv(t *testing.T, backend dbtest.Backend, cfg order.Config) *env {
	t.Helper()
	e := servicetest.New(t, "order", backend.URL(t), servicetest.Ledger(t, cfg, order.NewHandler))
	return &env{Env: e, client: orderapi.NewClient(e.URL, e.HTTPClient)}
}

// createReq is a valid order of two lines worth 1299 + 2*500 cents.
func createReq(dtid string) orderapi.CreateRequest {
	return orderapi.CreateRequest{
		DTID: dtid, CustomerID: "c-1", PaymentID: "0197a1b2-0000-7000-8000-000000000001",
		AmountCents: 2299, Currency: "USD",
		Items: []orderapi.Item{{SKU: "sku-1", Qty: 1, PriceCents: 1299}, {SKU: "sku-2", Qty: 2, PriceCents: 500}},
	}
}
