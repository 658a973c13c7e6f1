package servicetest

import (
	"context"
	"database/sql"
	"log/slog"
	"net/http"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/sagatrace/sagatrace/internal/auth"
	"github.com/sagatrace/sagatrace/internal/httpclient"
	"github.com/sagatrace/sagatrace/internal/ledger"
	"github.com/sagatrace/sagatrace/internal/telemetry"
	"github.com/sagatrace/sagatrace/services/order"
	"github.com/sagatrace/sagatrace/services/order/orderapi"
	"github.com/sagatrace/sagatrace/services/payment"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
)

// Payment is the Build of the payment service with cfg.
func Payment(t testing.TB, cfg ledger.Config) Build {
	return Ledger(t, cfg, payment.NewHandler)
}

// Order is the Build of the order service with cfg, reading payments from
// the payment service at paymentURL as its component does: through the
// payment contract's client, traced by the order service's tracer
// provider, with a token holding only payments:read.
func Order(t testing.TB, cfg ledger.Config, paymentURL string) Build {
	read := Issuer(t).Source(auth.Grant{Subject: orderapi.Audience, Audience: []string{paymentapi.Audience}, Scopes: []string{paymentapi.ScopeRead}})
	return Ledger(t, cfg, func(ctx context.Context, db *sql.DB, cfg ledger.Config, tp trace.TracerProvider, logger *slog.Logger) (http.Handler, error) {
		hc := auth.Client(httpclient.NewHTTPClient(tp, telemetry.Propagator()), read)
		return order.Handler(paymentapi.NewClient(paymentURL, hc))(ctx, db, cfg, tp, logger)
	})
}

// ServePayment serves the payment service with cfg on the database at
// dbURL and returns it with its client.
func ServePayment(t testing.TB, dbURL string, cfg ledger.Config) (*Env, *paymentapi.Client) {
	t.Helper()
	e := New(t, "payment", dbURL, Payment(t, cfg))
	return e, paymentapi.NewClient(e.URL, e.HTTPClient)
}

// ReadPayments serves, on the database at dbURL, the payment service that
// a service reading payments (order) is tested against: with faults
// enabled, so that a test can have a charge declined.
func ReadPayments(t testing.TB, dbURL string) (*Env, *paymentapi.Client) {
	t.Helper()
	return ServePayment(t, dbURL, ledger.Config{FaultsEnabled: true})
}
