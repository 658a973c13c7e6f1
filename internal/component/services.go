package component

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/sagatrace/sagatrace/internal/database"
	"github.com/sagatrace/sagatrace/internal/telemetry"
	"github.com/sagatrace/sagatrace/services/order"
	"github.com/sagatrace/sagatrace/services/payment"
)

// PaymentConfig configures the payment service.
type PaymentConfig struct {
	Common
	Listen      string
	DatabaseURL string
}

// OrderConfig configures the order service.
type OrderConfig struct {
	Common
	Listen      string
	DatabaseURL string
}

// StartPayment opens the payment database (migrating it) and serves the
// payments API.
func StartPayment(ctx context.Context, cfg PaymentConfig) (*Running, error) {
	r := newRunning("payment")
	return startOrCleanup(ctx, r, func() error {
		logger := cfg.Logger.With(slog.String("service", r.Name))
		tp, err := cfg.tracerProvider(ctx, r, r.Name)
		if err != nil {
			return err
		}
		db, err := database.Open(ctx, cfg.DatabaseURL)
		if err != nil {
			return fmt.Errorf("payment: %w", err)
		}
		r.onStop(func(context.Context) error { return db.Close() })
		store, err := payment.NewStore(ctx, db, tp)
		if err != nil {
			return fmt.Errorf("payment: %w", err)
		}
		srv, err := payment.NewServer(payment.Config{FaultsEnabled: cfg.FaultsEnabled}, store, tp, telemetry.Propagator(), logger)
		if err != nil {
			return fmt.Errorf("payment: %w", err)
		}
		return serveHTTP(r, cfg.Listen, srv.Handler(), logger)
	})
}

// StartOrder opens the order database (migrating it) and serves the orders
// API.
func StartOrder(ctx context.Context, cfg OrderConfig) (*Running, error) {
	r := newRunning("order")
	return startOrCleanup(ctx, r, func() error {
		logger := cfg.Logger.With(slog.String("service", r.Name))
		tp, err := cfg.tracerProvider(ctx, r, r.Name)
		if err != nil {
			return err
		}
		db, err := database.Open(ctx, cfg.DatabaseURL)
		if err != nil {
			return fmt.Errorf("order: %w", err)
		}
		r.onStop(func(context.Context) error { return db.Close() })
		store, err := order.NewStore(ctx, db, tp)
		if err != nil {
			return fmt.Errorf("order: %w", err)
		}
		srv, err := order.NewServer(order.Config{FaultsEnabled: cfg.FaultsEnabled}, store, tp, telemetry.Propagator(), logger)
		if err != nil {
			return fmt.Errorf("order: %w", err)
		}
		return serveHTTP(r, cfg.Listen, srv.Handler(), logger)
	})
}
