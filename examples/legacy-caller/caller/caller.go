// Package caller is a service that still traces with jaeger-client-go
// (OpenTracing), calling sagatrace's payment API. It shows that such a
// caller needs nothing from sagatrace but a bearer token: it injects
// Jaeger's uber-trace-id header as it always did, the payment service (whose propagator accepts
// uber-trace-id besides W3C traceparent) continues that trace, and both
// report to the same Jaeger — one trace, two tracers.
package caller

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"github.com/uber/jaeger-client-go"
	jaegercfg "github.com/uber/jaeger-client-go/config"
)

// Config says whom the caller calls and where it reports its spans.
type Config struct {
	// ServiceName is the caller's service in Jaeger; "" means legacy-caller.
	ServiceName string
	// CollectorEndpoint is Jaeger's thrift-over-HTTP collector, e.g.
	// http://127.0.0.1:14268/api/traces.
	CollectorEndpoint string
	// PaymentURL is the payment service's base URL.
	PaymentURL string
	// Token is the bearer token sent as "Authorization: Bearer <Token>":
	// audience payment, scope payments:write. Empty sends none.
	Token string
	// HTTP sends the request; nil means a client with a 10 s timeout.
	HTTP   *http.Client
	Logger *slog.Logger
}

// Charge is the payment the caller asks for.
type Charge struct {
	DTID           string `json:"dtid"`
	CustomerID     string `json:"customer_id"`
	AmountCents    int64  `json:"amount_cents"`
	Currency       string `json:"currency"`
	IdempotencyKey string `json:"-"`
}

// Result is what came back, and the trace it is in.
type Result struct {
	// TraceID is the caller's trace, as OpenTelemetry prints IDs (32 hex
	// digits): the payment service's spans are in the same trace.
	TraceID    string
	StatusCode int
	PaymentID  string
	State      string
}

// ChargeOnce starts a jaeger-client-go tracer, charges once through the
// payment API inside a client span, and closes the tracer, which flushes
// the span to Jaeger before it returns.
func ChargeOnce(ctx context.Context, cfg Config, ch Charge) (res Result, err error) {
	if cfg.ServiceName == "" {
		cfg.ServiceName = "legacy-caller"
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	tracer, closer, err := jaegercfg.Configuration{
		ServiceName: cfg.ServiceName,
		// 128-bit trace IDs, as OpenTelemetry's: 64-bit ones would print
		// differently from the services' correlation IDs.
		Gen128Bit: true,
		Sampler:   &jaegercfg.SamplerConfig{Type: jaeger.SamplerTypeConst, Param: 1},
		Reporter:  &jaegercfg.ReporterConfig{CollectorEndpoint: cfg.CollectorEndpoint, BufferFlushInterval: time.Second},
	}.NewTracer(jaegercfg.Logger(slogLogger{cfg.Logger}))
	if err != nil {
		return Result{}, fmt.Errorf("jaeger-client-go tracer: %w", err)
	}
	defer func() {
		// Close flushes the reporter: without it the span would be lost.
		if cerr := closer.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("flush spans to %s: %w", cfg.CollectorEndpoint, cerr)
		}
	}()

	span := tracer.StartSpan("legacy.charge", ext.SpanKindRPCClient, opentracing.Tag{Key: "dtid", Value: ch.DTID})
	defer span.Finish()
	if sc, ok := span.Context().(jaeger.SpanContext); ok {
		res.TraceID = sc.TraceID().String()
	}
	res, err = post(ctx, cfg, tracer, span, ch, res)
	if err != nil {
		ext.Error.Set(span, true)
		span.LogKV("event", "error", "message", err.Error())
	}
	cfg.Logger.InfoContext(ctx, "legacy charge", "dtid", ch.DTID, "trace_id", res.TraceID, "status", res.StatusCode)
	return res, err
}

func post(ctx context.Context, cfg Config, tracer opentracing.Tracer, span opentracing.Span, ch Charge, res Result) (Result, error) {
	body, err := json.Marshal(ch)
	if err != nil {
		return res, fmt.Errorf("encode charge: %w", err)
	}
	url := strings.TrimRight(cfg.PaymentURL, "/") + "/v1/payments"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return res, fmt.Errorf("charge: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", ch.IdempotencyKey)
	if cfg.Token != "" {
		req.Header.Set("Authorization", "Bearer "+cfg.Token)
	}
	ext.HTTPMethod.Set(span, req.Method)
	ext.HTTPUrl.Set(span, url)
	// The OpenTracing way: the tracer writes uber-trace-id into the headers.
	if err := tracer.Inject(span.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(req.Header)); err != nil {
		return res, fmt.Errorf("inject uber-trace-id: %w", err)
	}
	resp, err := cfg.HTTP.Do(req)
	if err != nil {
		return res, fmt.Errorf("POST %s: %w", url, err)
	}
	defer resp.Body.Close()
	res.StatusCode = resp.StatusCode
	ext.HTTPStatusCode.Set(span, uint16(resp.StatusCode))
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return res, fmt.Errorf("read answer of POST %s: %w", url, err)
	}
	if resp.StatusCode/100 != 2 {
		return res, fmt.Errorf("POST %s: %s: %s", url, resp.Status, bytes.TrimSpace(raw))
	}
	var p struct {
		PaymentID string `json:"payment_id"`
		State     string `json:"state"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return res, fmt.Errorf("decode payment: %w", err)
	}
	if p.PaymentID == "" {
		return res, errors.New("the payment service answered without a payment_id")
	}
	res.PaymentID, res.State = p.PaymentID, p.State
	return res, nil
}

// slogLogger lets jaeger-client-go report its own trouble (a collector
// that refuses spans) as structured logs.
type slogLogger struct{ l *slog.Logger }

func (s slogLogger) Error(msg string) { s.l.Error("jaeger-client-go: " + msg) }

func (s slogLogger) Infof(msg string, args ...any) {
	s.l.Info("jaeger-client-go: " + fmt.Sprintf(msg, args...))
}

func (s slogLogger) Debugf(msg string, args ...any) {
	s.l.Debug("jaeger-client-go: " + fmt.Sprintf(msg, args...))
}
