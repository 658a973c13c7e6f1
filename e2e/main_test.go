// Package e2e runs sagas through the real stack — Temporal's dev server,
// Jaeger v2, NATS with JetStream and SQLite-backed services — started on
// free ports exactly as `sagatrace dev` starts it, and checks the contracts
// of docs/ARCHITECTURE.md through Temporal, the services' HTTP APIs and Jaeger's API.
package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.opentelemetry.io/otel/sdk/trace"
	"go.temporal.io/sdk/client"

	"github.com/sagatrace/sagatrace/internal/auth"
	"github.com/sagatrace/sagatrace/internal/devstack"
	"github.com/sagatrace/sagatrace/internal/jaegerquery"
	"github.com/sagatrace/sagatrace/internal/stack"
	"github.com/sagatrace/sagatrace/internal/telemetry"
	"github.com/sagatrace/sagatrace/internal/temporalclient"
	"github.com/sagatrace/sagatrace/services/order/orderapi"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
	"github.com/sagatrace/sagatrace/services/scoring/scoringapi"
)

// env is the stack shared by the tests of this package.
type env struct {
	stack    *stack.Stack
	temporal client.Client
	jaeger   *jaegerquery.Client
	tools    devstack.Tools
	tp       *trace.TracerProvider
}

var shared *env // set once in TestMain, read-only afterwards

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	e, stop, err := startEnv(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: start the stack:", err)
		return 1
	}
	shared = e
	code := m.Run()
	if err := stop(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: stop the stack:", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

func startEnv(ctx context.Context) (*env, func() error, error) {
	dataDir, err := os.MkdirTemp("", "sagatrace-e2e-")
	if err != nil {
		return nil, nil, err
	}
	s, logger, stopStack, err := startStack(ctx, stack.Config{DataDir: dataDir, Progress: os.Stderr}, filepath.Join(dataDir, "services.log"))
	if err != nil {
		return nil, nil, err
	}
	// The services want bearer tokens: the tests read them as an operator
	// holding every scope (operatorTransport).
	http.DefaultClient.Transport = newOperatorTransport(auth.NewIssuer(s.Keys.Private, ""), map[string]string{
		paymentapi.Audience: s.Service(paymentapi.Audience).URL(), orderapi.Audience: s.Service(orderapi.Audience).URL(), scoringapi.Audience: s.Scoring.URL(),
	})
	tp, err := telemetry.NewTracerProvider(ctx, telemetry.Config{ServiceName: "e2e-test", OTLPEndpoint: "http://" + s.Jaeger.OTLPHTTPEndpoint()})
	if err != nil {
		return nil, nil, err
	}
	tc, err := temporalclient.Dial(ctx, temporalclient.Options{Address: s.Temporal.HostPort(), Namespace: "default", TracerProvider: tp, Logger: logger})
	if err != nil {
		return nil, nil, err
	}
	e := &env{stack: s, temporal: tc, jaeger: &jaegerquery.Client{BaseURL: s.Jaeger.QueryURL()}, tools: s.Tools, tp: tp}
	stop := func() error {
		tc.Close()
		_ = telemetry.Shutdown(tp, 5*time.Second)
		err := stopStack()
		if err == nil {
			os.RemoveAll(dataDir)
		}
		return err
	}
	return e, stop, nil
}
