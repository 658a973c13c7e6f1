package telemetry

import (
	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/contrib/propagators/jaeger"
	"go.opentelemetry.io/otel/propagation"
)

// Propagator accepts and emits W3C trace context and baggage, and also
// accepts Jaeger's uber-trace-id, so callers still on jaeger-client-go join
// the same traces.
func Propagator() propagation.TextMapPropagator {
	return propagation.NewCompositeTextMapPropagator(
		propagation.TraceContext{},
		jaeger.Jaeger{},
		propagation.Baggage{},
	)
}

// NATSHeaderCarrier adapts nats.Header to OpenTelemetry propagation.
// It exists because nats.Header is case-sensitive while
// propagation.HeaderCarrier canonicalises keys ("Traceparent"), which other
// NATS clients would not find.
type NATSHeaderCarrier nats.Header

var _ propagation.TextMapCarrier = NATSHeaderCarrier(nil)

// Get returns the first value of key.
func (c NATSHeaderCarrier) Get(key string) string {
	if v := c[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Set replaces the values of key.
func (c NATSHeaderCarrier) Set(key, value string) { c[key] = []string{value} }

// Keys lists the header names.
func (c NATSHeaderCarrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}
