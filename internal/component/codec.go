package component

import (
	"context"
	"fmt"
	"log/slog"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/sagatrace/sagatrace/internal/auth"
	"github.com/sagatrace/sagatrace/internal/payloadcodec"
)

// CodecConfig is the codec server's: Temporal's remote codec protocol,
// with which the Temporal Web UI and CLI decode the payloads the saga's
// clients encrypt.
type CodecConfig struct {
	Common
	Listen string
	// KeyFile is the payload codec's key file, the one the workers use.
	KeyFile string
	// Auth checks the bearer tokens of /encode and /decode (audience codec).
	Auth ServiceAuth
	// UIOrigins are the Temporal Web UI origins allowed to call from a
	// browser (CORS).
	UIOrigins []string
	// UISecret, when set, serves decode without a token at
	// /ui/<UISecret>/decode to the UIOrigins (payloadcodec.ServerConfig):
	// for a dev UI without login only.
	UISecret string
}

// Validate reports every missing setting at once.
func (c CodecConfig) Validate() error {
	return required("codec", setting{"--listen", c.Listen}, setting{"--codec-key-file", c.KeyFile})
}

// StartCodec serves the codec server.
func StartCodec(ctx context.Context, cfg CodecConfig) (*Running, error) {
	if err := invalid(cfg.Validate()); err != nil {
		return nil, err
	}
	return start(ctx, "codec", cfg.Common, func(r *Running, logger *slog.Logger, _ *sdktrace.TracerProvider) error {
		codec, err := payloadcodec.LoadCodec(cfg.KeyFile)
		if err != nil {
			return fmt.Errorf("codec: --codec-key-file: %w", err)
		}
		ac, err := cfg.Auth.load(r.Name, logger)
		if err != nil {
			return err
		}
		guard, err := auth.NewGuard(ac, payloadcodec.Audience)
		if err != nil {
			return err
		}
		h := payloadcodec.Handler(payloadcodec.ServerConfig{Codec: codec, Guard: guard, UIOrigins: cfg.UIOrigins, UISecret: cfg.UISecret}, logger)
		return serveHTTP(r, cfg.Listen, h, cfg.Common, logger)
	})
}
