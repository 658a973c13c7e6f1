package payloadcodec

import (
	"context"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace/noop"
	"go.temporal.io/sdk/converter"

	"github.com/sagatrace/sagatrace/internal/auth"
	"github.com/sagatrace/sagatrace/internal/httpserver"
)

// The codec server's token audience and scopes: `sagatrace token --aud
// codec --scope payloads:decode` mints what the Temporal CLI sends.
const (
	Audience    = "codec"
	ScopeDecode = "payloads:decode"
	ScopeEncode = "payloads:encode"
)

// MaxRequestBytes bounds one encode or decode request: Temporal refuses a
// payload over 2 MiB, and the UI sends a few at once.
const MaxRequestBytes = 8 << 20

// ServerConfig is how the codec server answers Temporal's remote codec
// protocol (POST …/encode, POST …/decode, protobuf JSON Payloads in and out).
type ServerConfig struct {
	Codec converter.PayloadCodec
	// Guard checks the bearer token of /encode (ScopeEncode) and /decode
	// (ScopeDecode).
	Guard *auth.Guard
	// UIOrigins are the origins of the Temporal Web UIs whose pages may call
	// the server from a browser (CORS), e.g. http://127.0.0.1:8233.
	UIOrigins []string
	// UISecret, when set, also serves decode without a token at
	// /ui/<UISecret>/decode, to requests whose Origin is one of UIOrigins:
	// the capability URL of a Temporal UI that cannot send a token (the dev
	// server's UI has no login). Anyone who learns it decodes, so it is
	// random, made anew at each start, and never used outside dev.
	UISecret string
}

// Handler serves the codec routes, /healthz and /readyz. Its requests are
// not traced: the UI decodes every event it shows, so each page view would
// add traces to Jaeger, and the capability URL's secret would ride on its
// spans (url.path).
func Handler(cfg ServerConfig, logger *slog.Logger) http.Handler {
	codec := converter.NewPayloadCodecHTTPHandler(cfg.Codec)
	serve := func(w http.ResponseWriter, r *http.Request) error {
		r.Body = http.MaxBytesReader(w, r.Body, MaxRequestBytes)
		codec.ServeHTTP(w, r)
		return nil
	}
	routes := httpserver.Routes{
		"POST /encode": httpserver.Chain(serve, cfg.Guard.Require(ScopeEncode)),
		"POST /decode": httpserver.Chain(serve, cfg.Guard.Require(ScopeDecode)),
	}
	if cfg.UISecret != "" {
		routes["POST /ui/{secret}/decode"] = httpserver.Chain(serve, uiCapability(cfg))
	}
	return cors(cfg.UIOrigins, httpserver.ServiceHandler(routes, func(context.Context) error { return nil }, noop.NewTracerProvider(), propagation.NewCompositeTextMapPropagator(), logger))
}

// uiCapability admits a request to the UI's capability URL: the secret in
// its path, from a UI's origin. A wrong secret is a 404, as a path that
// does not exist: nothing tells a guesser it came close.
func uiCapability(cfg ServerConfig) httpserver.Middleware {
	return func(h httpserver.HandlerFunc) httpserver.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) error {
			if subtle.ConstantTimeCompare([]byte(r.PathValue("secret")), []byte(cfg.UISecret)) != 1 {
				return httpserver.NotFound("not-found", "no such route")
			}
			if origin := r.Header.Get("Origin"); !slices.Contains(cfg.UIOrigins, origin) {
				return httpserver.Forbidden("origin-not-allowed", "this decode URL answers only the Temporal UI it was made for (its Origin); "+
					"other callers use /decode with a bearer token (`sagatrace token --aud codec --scope payloads:decode`)")
			}
			return h(w, r)
		}
	}
}

// cors lets the Temporal UI's pages, at origins, call the server: it
// answers their preflight and names the origin on every answer to them.
// The UI sends Content-Type and X-Namespace, and Authorization when it
// passes its user's token.
func cors(origins []string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		allowed := origin != "" && slices.Contains(origins, origin)
		if allowed {
			w.Header().Set("Access-Control-Allow-Origin", origin)
			w.Header().Add("Vary", "Origin")
		}
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			if !allowed {
				httpserver.WriteError(w, r, httpserver.Forbidden("origin-not-allowed", "origin "+origin+" may not call the codec server; add it with --ui-origin"))
				return
			}
			w.Header().Set("Access-Control-Allow-Methods", "POST, OPTIONS")
			w.Header().Set("Access-Control-Allow-Headers", strings.Join([]string{"Authorization", "Content-Type", "X-Namespace"}, ", "))
			w.Header().Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}
