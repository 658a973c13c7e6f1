package ids

import "context"

type dtidKey struct{}
type correlationIDKey struct{}

// WithDTID returns ctx carrying dtid, for logs and outgoing headers.
func WithDTID(ctx context.Context, dtid string) context.Context {
	return context.WithValue(ctx, dtidKey{}, dtid)
}

// DTIDFrom returns the DTID carried by ctx, or "".
func DTIDFrom(ctx context.Context) string {
	s, _ := ctx.Value(dtidKey{}).(string)
	return s
}

// WithCorrelationID returns ctx carrying the correlation ID of the current hop.
func WithCorrelationID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, correlationIDKey{}, id)
}

// CorrelationIDFrom returns the correlation ID carried by ctx, or "".
func CorrelationIDFrom(ctx context.Context) string {
	s, _ := ctx.Value(correlationIDKey{}).(string)
	return s
}
