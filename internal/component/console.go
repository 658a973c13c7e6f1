package component

import (
	"cmp"
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/sagatrace/sagatrace/services/scoring/scoringapi"

	"github.com/sagatrace/sagatrace/services/order/orderapi"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"

	"github.com/sagatrace/sagatrace/internal/httpclient"

	"github.com/sagatrace/sagatrace/internal/auth"
	"github.com/sagatrace/sagatrace/internal/console"
	"github.com/sagatrace/sagatrace/internal/jaegerquery"
	"github.com/sagatrace/sagatrace/internal/telemetry"
	"github.com/sagatrace/sagatrace/internal/timeline"
)

// ConsoleConfig locates everything the saga console reads.
type ConsoleConfig struct {
	Common
	Listen          string
	TemporalAddress string
	Namespace       string
	// JaegerURL is Jaeger's query API, read by the console.
	JaegerURL string
	// JaegerLinkURL is where a browser reaches the same Jaeger, for links
	// (in a container network it differs from JaegerURL); empty: JaegerURL.
	JaegerLinkURL string
	// TemporalUIURL is only linked to.
	TemporalUIURL string
	PaymentURL    string
	OrderURL      string
	ScoringURL    string
	// Auth is where the console's tokens (read scopes only) come from.
	Auth auth.ClientConfig
	// CodecKeyFile is the payload codec's key file (--codec-key-file); ""
	// reads payloads in clear only.
	CodecKeyFile string
}

// Validate reports every missing setting at once.
func (c ConsoleConfig) Validate() error {
	return required("console",
		setting{"--listen", c.Listen}, setting{"--temporal-address", c.TemporalAddress}, setting{"--namespace", c.Namespace},
		setting{"--jaeger-url", c.JaegerURL}, setting{"--payment-url", c.PaymentURL}, setting{"--order-url", c.OrderURL},
		setting{"--scoring-url", c.ScoringURL})
}

// jaegerReadTimeout bounds one read of Jaeger's API by a console page.
const jaegerReadTimeout = 10 * time.Second

// StartConsole serves the saga console. Its reads of the services are
// traced like any client's (as service "console"); its reads of Jaeger
// are not, or every page view would add traces to what it shows.
func StartConsole(ctx context.Context, cfg ConsoleConfig) (*Running, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	r := newRunning("console")
	return startOrCleanup(ctx, r, func() error {
		logger, tp, err := cfg.observe(ctx, r)
		if err != nil {
			return err
		}
		tc, dc, err := dialTemporal(ctx, r, cfg.TemporalAddress, cfg.Namespace, cfg.CodecKeyFile, tp, logger)
		if err != nil {
			return err
		}
		linkURL := cmp.Or(cfg.JaegerLinkURL, cfg.JaegerURL)
		links := timeline.Links{JaegerURL: strings.TrimRight(linkURL, "/"), TemporalUIURL: strings.TrimRight(cfg.TemporalUIURL, "/"), Namespace: cfg.Namespace}
		creds, err := credentials(r.Name, cfg.Auth, logger)
		if err != nil {
			return err
		}
		hc := httpclient.NewHTTPClient(tp, telemetry.Propagator())
		srv, err := console.NewServer(console.Config{
			Sagas: &timeline.Fetcher{
				Temporal: &timeline.Temporal{Client: tc, Namespace: cfg.Namespace, DataConverter: dc},
				Jaeger:   &jaegerquery.Client{BaseURL: strings.TrimRight(cfg.JaegerURL, "/"), HTTP: &http.Client{Timeout: jaegerReadTimeout}},
				Links:    links, Logger: logger,
			},
			Payments: paymentapi.NewClient(cfg.PaymentURL, creds.Client(hc, paymentapi.Audience, paymentapi.ScopeRead)),
			Orders:   orderapi.NewClient(cfg.OrderURL, creds.Client(hc, orderapi.Audience, orderapi.ScopeRead)),
			Scoring:  &console.ScoringClient{BaseURL: strings.TrimRight(cfg.ScoringURL, "/"), HTTP: creds.Client(hc, scoringapi.Audience, scoringapi.ScopeRead)},
			Logger:   logger,
		})
		if err != nil {
			return err
		}
		return serveHTTP(r, cfg.Listen, srv.Handler(), logger)
	})
}
