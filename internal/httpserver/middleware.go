package httpserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/ids"
)

// Handle registers h on mux under pattern ("POST /v1/payments"), wrapped
// once: a server span from tp whose parent is extracted with prop, then the
// identities of the hop in the request context. Since Go 1.22 the mux sets
// r.Pattern before otelhttp runs, which names the span and sets http.route
// (otelhttp v0.72 dropped WithRouteTag for exactly that reason).
func Handle(mux *http.ServeMux, pattern string, h http.Handler, tp trace.TracerProvider, prop propagation.TextMapPropagator) {
	mux.Handle(pattern, otelhttp.NewHandler(identities(h), pattern,
		otelhttp.WithTracerProvider(tp),
		otelhttp.WithPropagators(prop),
	))
}

// identities puts the DTID and the correlation ID of this hop into the
// request context, onto the server span and into the access log, and
// echoes the correlation ID so a caller without tracing can still quote it.
func identities(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		span := trace.SpanFromContext(ctx)
		cid := correlationID(span.SpanContext(), r.Header.Get(ids.HeaderCorrelationID))
		ctx = ids.WithCorrelationID(ctx, cid)
		span.SetAttributes(attribute.String(ids.AttrCorrelationID, cid))
		w.Header().Set(ids.HeaderCorrelationID, cid)
		if rec := recordFrom(ctx); rec != nil {
			rec.correlationID, rec.spanContext = cid, span.SpanContext()
		}

		if dtid := r.Header.Get(ids.HeaderDTID); dtid != "" {
			if err := ids.ValidateDTID(dtid); err != nil {
				WriteError(w, r.WithContext(ctx), Invalid(httpapi.TypeInvalidField, "header X-DTID: "+err.Error()))
				return
			}
			ctx = BindDTID(ctx, dtid)
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// BindDTID makes dtid the request's DTID: in the context (for logs, store
// spans and outgoing calls), on the server span and in the access log.
// Handlers call it when the DTID arrives in the body rather than X-DTID.
func BindDTID(ctx context.Context, dtid string) context.Context {
	trace.SpanFromContext(ctx).SetAttributes(attribute.String(ids.AttrDTID, dtid))
	if rec := recordFrom(ctx); rec != nil {
		rec.dtid = dtid
	}
	return ids.WithDTID(ctx, dtid)
}

// correlationID is the hop's trace ID: the server span continues the
// caller's trace, so both sides agree on it without a header. Without a
// valid span context (an untraced caller and a no-op provider) it falls back
// to a well-formed X-Correlation-ID, and finally to a fresh random ID in the
// same 32-hex format.
func correlationID(sc trace.SpanContext, header string) string {
	if sc.TraceID().IsValid() {
		return sc.TraceID().String()
	}
	if id, err := trace.TraceIDFromHex(header); err == nil {
		return id.String()
	}
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails since Go 1.24
	return hex.EncodeToString(b[:])
}
