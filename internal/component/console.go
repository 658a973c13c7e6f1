package component

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/sagatrace/sagatrace/internal/auth"
	"github.com/sagatrace/sagatrace/internal/console"
	"github.com/sagatrace/sagatrace/internal/httpclient"
	"github.com/sagatrace/sagatrace/internal/jaegerquery"
	"github.com/sagatrace/sagatrace/internal/telemetry"
	"github.com/sagatrace/sagatrace/internal/temporalclient"
	"github.com/sagatrace/sagatrace/internal/timeline"
	"github.com/sagatrace/sagatrace/services/order/orderapi"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
	"github.com/sagatrace/sagatrace/services/scoring/scoringapi"
)

// ConsoleConfig locates everything the saga console reads.
type ConsoleConfig struct {
	Common
	Listen          string
	TemporalAddress string
	Namespace       string
	// TemporalTLS is the console's mTLS material; zero: plaintext.
	TemporalTLS temporalclient.TLS
	// JaegerURL is Jaeger's query API, read by the console.
	JaegerURL string
	// JaegerLinkURL is where a browser reaches the same Jaeger, for links
	// (in a container network it differs from JaegerURL); empty: JaegerURL.
	JaegerLinkURL string
	// JaegerUI: that Jaeger serves its UI (the official images do; the one
	// built from the Go module does not), so trace links go there too.
	JaegerUI bool
	// TemporalUIURL is only linked to.
	TemporalUIURL string
	PaymentURL    string
	OrderURL      string
	ScoringURL    string
	// Login is how the console checks the tokens people log in with
	// (audience console): the issuer's public keys, never its private key.
	Login ServiceAuth
	// TokenFile holds the console's own token for reading the services
	// (--token-file): audiences payment, order and scoring with their read
	// scopes only, kept fresh by whoever holds the private key.
	TokenFile string
	// CheckHost refuses requests whose Host is not the listening address,
	// localhost or 127.0.0.1 on its port, or one of AllowedHosts (421).
	// AllowedHosts given turn it on.
	CheckHost    bool
	AllowedHosts []string
	// CodecKeyFile is the payload codec's key file (--codec-key-file); ""
	// reads payloads in clear only.
	CodecKeyFile string
}

// Validate reports every missing setting at once.
func (c ConsoleConfig) Validate() error {
	return errors.Join(required("console",
		setting{"--listen", c.Listen}, setting{"--temporal-address", c.TemporalAddress}, setting{"--namespace", c.Namespace},
		setting{"--jaeger-url", c.JaegerURL}, setting{"--payment-url", c.PaymentURL}, setting{"--order-url", c.OrderURL},
		setting{"--scoring-url", c.ScoringURL}), c.Login.check("console"))
}

// ConsoleReadScopes are what the console's own token (TokenFile) must
// grant, by audience: reads, nothing else.
func ConsoleReadScopes() map[string]string {
	return map[string]string{paymentapi.Audience: paymentapi.ScopeRead, orderapi.Audience: orderapi.ScopeRead, scoringapi.Audience: scoringapi.ScopeRead}
}

// allowedHosts is the Host allowlist of a console listening on addr: addr
// itself, localhost and 127.0.0.1 on its port, and the configured names.
func (c ConsoleConfig) allowedHosts(addr string) []string {
	if !c.CheckHost && len(c.AllowedHosts) == 0 {
		return nil
	}
	hosts := slices.Clone(c.AllowedHosts)
	if host, port, err := net.SplitHostPort(addr); err == nil {
		if ip := net.ParseIP(host); ip == nil || !ip.IsUnspecified() {
			hosts = append(hosts, addr)
		}
		hosts = append(hosts, net.JoinHostPort("localhost", port), net.JoinHostPort("127.0.0.1", port), net.JoinHostPort("::1", port))
	}
	return hosts
}

// jaegerReadTimeout bounds one read of Jaeger's API by a console page.
const jaegerReadTimeout = 10 * time.Second // within jaegerquery.DefaultTimeout: the console answers sooner

// StartConsole serves the saga console. Its reads of the services are
// traced like any client's (as service "console"); its reads of Jaeger
// are not, or every page view would add traces to what it shows.
func StartConsole(ctx context.Context, cfg ConsoleConfig) (*Running, error) {
	if err := invalid(cfg.Validate()); err != nil {
		return nil, err
	}
	return start(ctx, "console", cfg.Common, func(r *Running, logger *slog.Logger, tp *sdktrace.TracerProvider) error {
		tc, dc, err := dialTemporal(ctx, r, cfg.TemporalAddress, cfg.Namespace, cfg.TemporalTLS, cfg.CodecKeyFile, tp, logger)
		if err != nil {
			return err
		}
		linkURL := cmp.Or(cfg.JaegerLinkURL, cfg.JaegerURL)
		links := timeline.Links{JaegerURL: strings.TrimRight(linkURL, "/"), TemporalUIURL: strings.TrimRight(cfg.TemporalUIURL, "/"), Namespace: cfg.Namespace, JaegerUI: cfg.JaegerUI}
		login, err := cfg.Login.load(r.Name, logger)
		if err != nil {
			return err
		}
		var verifier *auth.Verifier
		if !login.Disabled {
			if verifier, err = auth.NewVerifier(login, auth.AudienceConsole); err != nil {
				return err
			}
		}
		creds, err := credentials(r.Name, auth.ClientConfig{TokenFile: cfg.TokenFile}, logger)
		if err != nil {
			return err
		}
		ln, err := listen(r, cfg.Listen)
		if err != nil {
			return err
		}
		hosts := cfg.allowedHosts(r.Addr)
		if hosts == nil {
			logger.Warn("the Host header is not checked (no --allowed-host): a console reachable through DNS rebinding relies on its login alone")
		}
		read := ConsoleReadScopes()
		hc := httpclient.NewHTTPClient(tp, telemetry.Propagator())
		srv, err := console.NewServer(console.Config{
			Sagas: &timeline.Fetcher{
				Temporal: &timeline.Temporal{Client: tc, Namespace: cfg.Namespace, DataConverter: dc},
				Jaeger:   &jaegerquery.Client{BaseURL: strings.TrimRight(cfg.JaegerURL, "/"), HTTP: &http.Client{Timeout: jaegerReadTimeout}},
				Links:    links, Logger: logger,
			},
			Payments: paymentapi.NewClient(cfg.PaymentURL, creds.Client(hc, paymentapi.Audience, read[paymentapi.Audience])),
			Orders:   orderapi.NewClient(cfg.OrderURL, creds.Client(hc, orderapi.Audience, read[orderapi.Audience])),
			Scoring:  &console.ScoringClient{BaseURL: strings.TrimRight(cfg.ScoringURL, "/"), HTTP: creds.Client(hc, scoringapi.Audience, read[scoringapi.Audience])},
			Logger:   logger, Verifier: verifier, AuthDisabled: login.Disabled, AllowedHosts: hosts,
		})
		if err != nil {
			_ = ln.Close()
			return err
		}
		if err := serve(r, ln, srv.Handler(), cfg.Common, logger); err != nil {
			_ = ln.Close()
			return err
		}
		return nil
	})
}
