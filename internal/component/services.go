package component

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/trace"

	"github.com/sagatrace/sagatrace/internal/database"
	"github.com/sagatrace/sagatrace/internal/ratelimit"
	"github.com/sagatrace/sagatrace/internal/telemetry"
	"github.com/sagatrace/sagatrace/services/order"
	"github.com/sagatrace/sagatrace/services/payment"
)

// ServiceConfig configures an HTTP service backed by its own database.
type ServiceConfig struct {
	Common
	Listen      string
	DatabaseURL string
	Auth        ServiceAuth
	// Limits bound each caller's writes (payment, order); zero fields take
	// ratelimit's defaults.
	Limits ratelimit.Config
}

// PaymentConfig configures the payment service.
type PaymentConfig = ServiceConfig

// OrderConfig configures the order service.
type OrderConfig = ServiceConfig

// StartPayment opens the payment database (migrating it) and serves the
// payments API.
func StartPayment(ctx context.Context, cfg PaymentConfig) (*Running, error) {
	return startService(ctx, "payment", cfg, func(_ *Running, db *sql.DB, tp trace.TracerProvider, logger *slog.Logger) (http.Handler, error) {
		ac, err := cfg.Auth.load("payment", logger)
		if err != nil {
			return nil, err
		}
		store, err := payment.NewStore(ctx, db, tp)
		if err != nil {
			return nil, err
		}
		srv, err := payment.NewServer(payment.Config{FaultsEnabled: cfg.FaultsEnabled, Auth: ac, Limits: cfg.Limits}, store, tp, telemetry.Propagator(), logger)
		if err != nil {
			return nil, err
		}
		return srv.Handler(), nil
	})
}

// StartOrder opens the order database (migrating it) and serves the orders
// API.
func StartOrder(ctx context.Context, cfg OrderConfig) (*Running, error) {
	return startService(ctx, "order", cfg, func(_ *Running, db *sql.DB, tp trace.TracerProvider, logger *slog.Logger) (http.Handler, error) {
		ac, err := cfg.Auth.load("order", logger)
		if err != nil {
			return nil, err
		}
		store, err := order.NewStore(ctx, db, tp)
		if err != nil {
			return nil, err
		}
		srv, err := order.NewServer(order.Config{FaultsEnabled: cfg.FaultsEnabled, Auth: ac, Limits: cfg.Limits}, store, tp, telemetry.Propagator(), logger)
		if err != nil {
			return nil, err
		}
		return srv.Handler(), nil
	})
}

// startService gives a service its tracer provider, logger and database,
// lets build make its handler (registering on r whatever else it starts),
// and serves it.
func startService(ctx context.Context, name string, cfg ServiceConfig,
	build func(*Running, *sql.DB, trace.TracerProvider, *slog.Logger) (http.Handler, error)) (*Running, error) {
	r := newRunning(name)
	return startOrCleanup(ctx, r, func() error {
		logger := cfg.Logger.With(slog.String("service", name))
		tp, err := cfg.tracerProvider(ctx, r, name)
		if err != nil {
			return err
		}
		db, err := database.Open(ctx, cfg.DatabaseURL)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		r.onStop(func(context.Context) error { return db.Close() })
		h, err := build(r, db, tp, logger)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		return serveHTTP(r, cfg.Listen, h, logger)
	})
}

// connectJetStream connects to NATS as name and closes the connection when
// r stops, after draining what is in flight.
func connectJetStream(r *Running, url string) (jetstream.JetStream, error) {
	nc, err := nats.Connect(url, nats.Name(r.Name))
	if err != nil {
		return nil, fmt.Errorf("%s: connect to NATS at %s: %w", r.Name, url, err)
	}
	r.onStop(func(context.Context) error { return nc.Drain() })
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("%s: JetStream: %w", r.Name, err)
	}
	return js, nil
}
