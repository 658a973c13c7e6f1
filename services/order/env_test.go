package order_test

import (
	"context"
	"database/sql"
	"log/slog"
	"net/http"
	"os"
	"testing"

	"github.com/sagatrace/sagatrace/services/order/orderapi"

	"go.opentelemetry.io/otel/trace"

	"github.com/sagatrace/sagatrace/internal/database/dbtest"
	"github.com/sagatrace/sagatrace/internal/servicetest"
	"github.com/sagatrace/sagatrace/internal/telemetry"
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
	if cfg.Auth.PublicKey == nil && !cfg.Auth.Disabled {
		cfg.Auth = servicetest.AuthConfig(t) // the rig's requests carry its tokens
	}
	e := servicetest.New(t, "order", backend.URL(t), func(ctx context.Context, db *sql.DB, tp trace.TracerProvider, logger *slog.Logger) (http.Handler, error) {
		store, err := order.NewStore(ctx, db, tp)
		if err != nil {
			return nil, err
		}
		srv, err := order.NewServer(cfg, store, tp, telemetry.Propagator(), logger)
		if err != nil {
			return nil, err
		}
		return srv.Handler(), nil
	})
	return &env{Env: e, client: orderapi.NewClient(e.URL, e.HTTPClient)}
}

// event is an audit row as stored; a local type, so tests write it unkeyed.
type event servicetest.Event

// events returns the audit rows of an order, oldest first.
func (e *env) events(t *testing.T, orderID string) []event {
	t.Helper()
	rows := e.Events(t, `SELECT ev.dtid, ev.state, ev.correlation_id FROM order_events ev
		JOIN orders o ON o.id = ev.order_ref WHERE o.order_id = $1 ORDER BY ev.id`, orderID)
	out := make([]event, len(rows))
	for i, r := range rows {
		out[i] = event(r)
	}
	return out
}

// createReq is a valid order of two lines worth 1299 + 2*500 cents.
func createReq(dtid string) orderapi.CreateRequest {
	return orderapi.CreateRequest{
		DTID: dtid, CustomerID: "c-1", PaymentID: "0197a1b2-0000-7000-8000-000000000001",
		AmountCents: 2299, Currency: "USD",
		Items: []orderapi.Item{{SKU: "sku-1", Qty: 1, PriceCents: 1299}, {SKU: "sku-2", Qty: 2, PriceCents: 500}},
	}
}
