package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/trace/noop"
	"go.temporal.io/sdk/client"

	"github.com/sagatrace/sagatrace/internal/temporalclient"
)

// temporalDialTimeout bounds the connection to Temporal: an inspection
// command should say "unreachable" quickly, not hang.
const temporalDialTimeout = 5 * time.Second

// temporalFlags locate the Temporal frontend for a command that is a
// client of it (start, trace, the operator commands, deployment).
type temporalFlags struct {
	address, namespace string
	tls                *temporalclient.TLS
	// codecKeyFile is the --codec-key-file value; nil for a command that
	// reads no saga payloads, which then go in clear.
	codecKeyFile *string
}

// defineTemporalClient declares --temporal-address, --namespace, the
// --temporal-tls-* files and --codec-key-file, for a command that starts,
// reads or acts on sagas.
func defineTemporalClient(fs *flag.FlagSet) *temporalFlags {
	t := defineTemporalConnection(fs)
	t.codecKeyFile = defineCodecKeyFile(fs)
	return t
}

// defineTemporalConnection declares the flags of defineTemporalClient
// but --codec-key-file, for a command that reads no saga payloads
// (deployment: versions only).
func defineTemporalConnection(fs *flag.FlagSet) *temporalFlags {
	t := &temporalFlags{}
	defineTemporal(fs, &t.address, &t.namespace)
	t.tls = defineTemporalTLS(fs)
	return t
}

// options are the client options the flags name, with the payload codec
// loaded from its key file.
func (t *temporalFlags) options() (temporalclient.Options, error) {
	opts := temporalclient.Options{Address: t.address, Namespace: t.namespace, TLS: *t.tls}
	if t.codecKeyFile != nil {
		codec, err := loadCodec(*t.codecKeyFile)
		if err != nil {
			return temporalclient.Options{}, err
		}
		opts.Codec = codec
	}
	return opts, nil
}

// dialTemporal connects with opts for a command that records no spans
// (reading or acting on a saga is not a hop of it); unreachable is exit 2.
func dialTemporal(ctx context.Context, opts temporalclient.Options, logger *slog.Logger) (client.Client, error) {
	opts.TracerProvider, opts.Logger = noop.NewTracerProvider(), logger
	dialCtx, cancel := context.WithTimeout(ctx, temporalDialTimeout)
	defer cancel()
	tc, err := temporalclient.Dial(dialCtx, opts)
	if err != nil {
		return nil, exitError{code: 2, err: fmt.Errorf("Temporal at %s unreachable: %w", opts.Address, err)}
	}
	return tc, nil
}
