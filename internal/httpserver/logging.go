package httpserver

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/sagatrace/sagatrace/internal/ids"
)

// requestRecord collects what the access log line needs from inside the
// handler chain (the span and identities live in contexts the outer
// middleware never sees). It belongs to one request and one goroutine.
type requestRecord struct {
	dtid          string
	correlationID string
	spanContext   trace.SpanContext
	err           error
}

type recordKey struct{}

func recordFrom(ctx context.Context) *requestRecord {
	rec, _ := ctx.Value(recordKey{}).(*requestRecord)
	return rec
}

// NoteError hands a 5xx cause to the access log, which logs it once.
func NoteError(ctx context.Context, err error) {
	if rec := recordFrom(ctx); rec != nil {
		rec.err = err
	}
}

// AccessLog wraps a whole mux and logs one line per request: method, route
// (the mux pattern, so ids in paths do not explode cardinality), status,
// duration, and through the context the trace, DTID and correlation ID.
// 5xx answers are logged at error level with their real cause.
func AccessLog(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &requestRecord{}
		r = r.WithContext(context.WithValue(r.Context(), recordKey{}, rec))
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)

		ctx := trace.ContextWithSpanContext(r.Context(), rec.spanContext)
		if rec.dtid != "" {
			ctx = ids.WithDTID(ctx, rec.dtid)
		}
		if rec.correlationID != "" {
			ctx = ids.WithCorrelationID(ctx, rec.correlationID)
		}
		route := r.Pattern // set by the mux on this request
		if route == "" {
			route = "unmatched"
		}
		attrs := []slog.Attr{
			slog.String("method", r.Method),
			slog.String("route", route),
			slog.Int("status", sw.code()),
			slog.Duration("duration", time.Since(start)),
		}
		level := slog.LevelInfo
		if sw.code() >= http.StatusInternalServerError {
			level = slog.LevelError
			if rec.err != nil {
				attrs = append(attrs, slog.String("error", rec.err.Error()))
			}
		}
		logger.LogAttrs(ctx, level, "http request", attrs...)
	})
}

// statusWriter remembers the status code. Unwrap lets
// http.ResponseController reach the Flusher and deadlines underneath.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) code() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}
