package component

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/sagatrace/sagatrace/internal/auth"
	"github.com/sagatrace/sagatrace/internal/database"
	"github.com/sagatrace/sagatrace/internal/httpclient"
	"github.com/sagatrace/sagatrace/internal/ledger"
	"github.com/sagatrace/sagatrace/internal/natsauth"
	"github.com/sagatrace/sagatrace/internal/payloadcodec"
	"github.com/sagatrace/sagatrace/internal/ratelimit"
	"github.com/sagatrace/sagatrace/internal/telemetry"
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
	// Calls is how the service reaches the one it calls itself, when
	// Service.Calls names one (order: payment).
	Calls Upstream
}

// Upstream is how a service reaches the service it calls. It gets a
// token file, not the issuer's private key: the services hold only the
// public key, so a compromised one can read what its token allows until
// the token expires, and never mint one.
type Upstream struct {
	// URL is the called service's base URL (--payment-url).
	URL string
	// TokenFile holds the bearer token for it (--payment-token-file),
	// re-read every 30 s, so a token rotated on disk is picked up without a
	// restart. Required unless the service runs with --auth-disabled.
	TokenFile string
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
	// Calls names the ledger service this one calls itself ("" for none),
	// CallScopes the scopes its token needs there: order reads the
	// payment of every order before it confirms it. It gives the service
	// the flags --<Calls>-url and --<Calls>-token-file, and `sagatrace dev`
	// keeps the token file for it.
	Calls      string
	CallScopes []string
	// handler migrates the service's database and returns its API; peer is
	// the service it Calls (nil for none).
	handler func(ctx context.Context, db *sql.DB, cfg ledger.Config, peer *peer, tp trace.TracerProvider, logger *slog.Logger) (http.Handler, error)
}

// peer is the service a service calls, as its handler gets it: the base
// URL and a client that is traced by the calling service and carries the
// calling service's token.
type peer struct {
	URL  string
	HTTP *http.Client
}

// Services lists the ledger services, in the order the saga calls them.
func Services() []Service {
	return []Service{
		{Name: paymentapi.Audience, Port: 8081, Collection: "/v1/payments",
			Scopes: []string{paymentapi.ScopeWrite, paymentapi.ScopeRefund, paymentapi.ScopeRead, auth.ScopeFaultsInject},
			handler: func(ctx context.Context, db *sql.DB, cfg ledger.Config, _ *peer, tp trace.TracerProvider, logger *slog.Logger) (http.Handler, error) {
				return payment.NewHandler(ctx, db, cfg, tp, logger)
			}},
		{Name: orderapi.Audience, Port: 8082, Collection: "/v1/orders",
			Scopes: []string{orderapi.ScopeWrite, orderapi.ScopeCancel, orderapi.ScopeRead, auth.ScopeFaultsInject},
			Calls:  paymentapi.Audience, CallScopes: []string{paymentapi.ScopeRead},
			handler: func(ctx context.Context, db *sql.DB, cfg ledger.Config, p *peer, tp trace.TracerProvider, logger *slog.Logger) (http.Handler, error) {
				return order.Handler(paymentapi.NewClient(p.URL, p.HTTP))(ctx, db, cfg, tp, logger)
			}},
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
// services, scoring, and the console a person logs in to.
func Registry() auth.Registry {
	r := auth.Registry{scoringapi.Audience: {scoringapi.ScopeRead}, auth.AudienceConsole: {auth.ScopeConsoleRead, auth.ScopeSagasOperate}, payloadcodec.Audience: {payloadcodec.ScopeDecode, payloadcodec.ScopeEncode}}
	for _, s := range Services() {
		r[s.Name] = s.Scopes
	}
	return r
}

// Validate reports every problem of cfg for svc at once, each naming its
// flag: those it can tell without reading a file.
func (svc Service) Validate(cfg ServiceConfig) error {
	errs := []error{cfg.Auth.check(svc.Name)}
	if svc.Calls == "" {
		return errors.Join(errs...)
	}
	flag := "--" + svc.Calls
	switch u, err := url.Parse(cfg.Calls.URL); {
	case cfg.Calls.URL == "":
		errs = append(errs, fmt.Errorf("%s: %s-url is required: the %s service's base URL", svc.Name, flag, svc.Calls))
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		errs = append(errs, fmt.Errorf("%s: %s-url %q is not an http(s) base URL like http://%s:%d", svc.Name, flag, cfg.Calls.URL, svc.Calls, portOf(svc.Calls)))
	}
	if cfg.Calls.TokenFile == "" && !cfg.Auth.Disabled {
		errs = append(errs, fmt.Errorf("%s: %s-token-file is required: a file holding a bearer token for %s with scope %s "+
			"(`sagatrace token --aud %s --scope %s --subject %s --out FILE --renew` keeps one fresh)",
			svc.Name, flag, svc.Calls, strings.Join(svc.CallScopes, ","), svc.Calls, strings.Join(svc.CallScopes, ","), svc.Name))
	}
	return errors.Join(errs...)
}

// portOf is the dev port of the ledger service called name, for examples.
func portOf(name string) int {
	s, _ := ServiceNamed(name)
	return s.Port
}

// Start opens the service's database (migrating it) and serves its API.
func (svc Service) Start(ctx context.Context, cfg ServiceConfig) (*Running, error) {
	if err := invalid(svc.Validate(cfg)); err != nil {
		return nil, err
	}
	return startService(ctx, svc.Name, cfg, func(_ *Running, db *sql.DB, tp trace.TracerProvider, logger *slog.Logger) (http.Handler, error) {
		ac, err := cfg.Auth.load(svc.Name, logger)
		if err != nil {
			return nil, err
		}
		var p *peer
		if svc.Calls != "" {
			if p, err = svc.peer(ctx, cfg.Calls, ac, tp, logger); err != nil {
				return nil, err
			}
		}
		return svc.handler(ctx, db, ledger.Config{FaultsEnabled: cfg.FaultsEnabled, Auth: ac, Limits: cfg.Limits}, p, tp, logger)
	})
}

// peer makes the client with which svc calls svc.Calls: traced by tp, with
// the token of up.TokenFile. The token is checked at start with the
// issuer's public key the service has anyway, so a token for another
// service, without the scopes, expired or unreadable stops the start with
// the flag's name instead of failing every call.
func (svc Service) peer(ctx context.Context, up Upstream, ac auth.Config, tp trace.TracerProvider, logger *slog.Logger) (*peer, error) {
	flag := "--" + svc.Calls + "-token-file"
	hc := httpclient.NewHTTPClient(tp, telemetry.Propagator())
	if up.TokenFile == "" { // only with --auth-disabled (Validate)
		logger.Warn("no " + flag + ": calls to the " + svc.Calls + " service carry no bearer token and are refused (401) unless it runs with --auth-disabled")
		return &peer{URL: up.URL, HTTP: hc}, nil
	}
	src := auth.FileSource(up.TokenFile)
	tok, err := src.Token(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	if ac.Keys.Len() > 0 {
		v, err := auth.NewVerifier(ac, svc.Calls)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", flag, err)
		}
		caller, err := v.Verify(tok)
		if err != nil {
			return nil, fmt.Errorf("%s: the token in %s is not valid for the %s service: %w", flag, up.TokenFile, svc.Calls, err)
		}
		for _, s := range svc.CallScopes {
			if !caller.Has(s) {
				return nil, fmt.Errorf("%s: the token in %s lacks scope %s", flag, up.TokenFile, s)
			}
		}
	}
	return &peer{URL: up.URL, HTTP: auth.Client(hc, src)}, nil
}

// startService gives a service its tracer provider, logger and database,
// lets build make its handler (registering on r whatever else it starts),
// and serves it.
func startService(ctx context.Context, name string, cfg ServiceConfig,
	build func(*Running, *sql.DB, trace.TracerProvider, *slog.Logger) (http.Handler, error)) (*Running, error) {
	return start(ctx, name, cfg.Common, func(r *Running, logger *slog.Logger, tp *sdktrace.TracerProvider) error {
		db, err := database.Open(ctx, cfg.DatabaseURL)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		r.onStop(func(context.Context) error { return db.Close() })
		h, err := build(r, db, tp, logger)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		return serveHTTP(r, cfg.Listen, h, cfg.Common, logger)
	})
}

// connectJetStream connects to NATS as name, authenticated with the nkey
// seed in seedFile (none: a server without users), and closes the
// connection when r stops, after draining what is in flight.
func connectJetStream(r *Running, url, seedFile string) (jetstream.JetStream, error) {
	creds, err := natsauth.Option(seedFile)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.Name, err)
	}
	nc, err := nats.Connect(url, nats.Name(r.Name), creds)
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
