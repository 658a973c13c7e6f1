package component

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/http"
	"slices"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/trace"

	"github.com/sagatrace/sagatrace/internal/auth"
	"github.com/sagatrace/sagatrace/internal/database"
	"github.com/sagatrace/sagatrace/internal/ledger"
	"github.com/sagatrace/sagatrace/internal/ratelimit"
	"github.com/sagatrace/sagatrace/services/order"
	"github.com/sagatrace/sagatrace/services/order/orderapi"
	"github.com/sagatrace/sagatrace/services/payment"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
	"github.com/sagatrace/sagatrace/services/scoring/scoringapi"
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

// Service is one saga step's HTTP service on the ledger, with its own
// database. `sagatrace dev` starts every one, `sagatrace serve <name>`
// starts one, the saga worker is given each one's URL and `sagatrace token`
// knows its scopes: adding a service to Services is all they need.
type Service struct {
	// Name is the component, its token audience and the prefix of its
	// flags (--payment-url, --payment-port).
	Name string
	// Port is its port in the dev stack and the default of `serve`'s --listen.
	Port int
	// Collection is the path of its entities, "/v1/payments".
	Collection string
	// Scopes are the scopes its routes check.
	Scopes []string
	// handler migrates the service's database and returns its API.
	handler func(ctx context.Context, db *sql.DB, cfg ledger.Config, tp trace.TracerProvider, logger *slog.Logger) (http.Handler, error)
}

// Services lists the ledger services, in the order the saga calls them.
func Services() []Service {
	return []Service{
		{Name: paymentapi.Audience, Port: 8081, Collection: "/v1/payments", handler: payment.NewHandler,
			Scopes: []string{paymentapi.ScopeWrite, paymentapi.ScopeRefund, paymentapi.ScopeRead, auth.ScopeFaultsInject}},
		{Name: orderapi.Audience, Port: 8082, Collection: "/v1/orders", handler: order.NewHandler,
			Scopes: []string{orderapi.ScopeWrite, orderapi.ScopeCancel, orderapi.ScopeRead, auth.ScopeFaultsInject}},
	}
}

// ServiceNamed returns the ledger service called name.
func ServiceNamed(name string) (Service, bool) {
	i := slices.IndexFunc(Services(), func(s Service) bool { return s.Name == name })
	if i < 0 {
		return Service{}, false
	}
	return Services()[i], true
}

// Registry is every audience and the scopes it checks: the ledger
// services and scoring.
func Registry() auth.Registry {
	r := auth.Registry{scoringapi.Audience: {scoringapi.ScopeRead}}
	for _, s := range Services() {
		r[s.Name] = s.Scopes
	}
	return r
}

// Start opens the service's database (migrating it) and serves its API.
func (svc Service) Start(ctx context.Context, cfg ServiceConfig) (*Running, error) {
	return startService(ctx, svc.Name, cfg, func(_ *Running, db *sql.DB, tp trace.TracerProvider, logger *slog.Logger) (http.Handler, error) {
		ac, err := cfg.Auth.load(svc.Name, logger)
		if err != nil {
			return nil, err
		}
		return svc.handler(ctx, db, ledger.Config{FaultsEnabled: cfg.FaultsEnabled, Auth: ac, Limits: cfg.Limits}, tp, logger)
	})
}

// startService gives a service its tracer provider, logger and database,
// lets build make its handler (registering on r whatever else it starts),
// and serves it.
func startService(ctx context.Context, name string, cfg ServiceConfig,
	build func(*Running, *sql.DB, trace.TracerProvider, *slog.Logger) (http.Handler, error)) (*Running, error) {
	r := newRunning(name)
	return startOrCleanup(ctx, r, func() error {
		logger, tp, err := cfg.observe(ctx, r)
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
