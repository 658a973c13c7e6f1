package devstack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"
)

const (
	// defaultJaegerStartTimeout: Jaeger answers within a fraction of a
	// second; the margin is for loaded CI machines.
	defaultJaegerStartTimeout = 30 * time.Second
	defaultJaegerMaxTraces    = 100_000
)

// JaegerOptions configures [StartJaeger].
type JaegerOptions struct {
	Binary string // Jaeger v2, from [BuildTools]; required
	Host   string // address every endpoint binds; "" means 127.0.0.1
	// Ports of the OTLP receivers, the query service (HTTP API and UI, gRPC)
	// and the legacy Jaeger receivers; 0 picks a free port.
	OTLPGRPCPort, OTLPHTTPPort, QueryHTTPPort, QueryGRPCPort, ThriftHTTPPort, CompactUDPPort int
	// ConfigDir receives the generated jaeger.yaml; required. Two Jaegers
	// must not share it.
	ConfigDir string
	// MaxTraces bounds the in-memory store; 0 means 100000.
	MaxTraces int
	// Stdout and Stderr receive the server's output; nil discards it.
	Stdout, Stderr io.Writer
	// StartTimeout bounds the wait for readiness; 0 means 30s.
	StartTimeout time.Duration
}

// Jaeger is a running Jaeger v2 with in-memory storage.
type Jaeger struct {
	*Process
	e jaegerEndpoints
}

// StartJaeger writes a config into opts.ConfigDir, starts Jaeger and waits
// until its query API answers. ctx bounds only the start; Jaeger runs until
// Stop.
func StartJaeger(ctx context.Context, opts JaegerOptions) (*Jaeger, error) {
	if opts.Binary == "" || opts.ConfigDir == "" {
		return nil, errors.New("start jaeger: Binary and ConfigDir are required")
	}
	if opts.Host == "" {
		opts.Host = "127.0.0.1"
	}
	if opts.MaxTraces == 0 {
		opts.MaxTraces = defaultJaegerMaxTraces
	}
	if opts.StartTimeout == 0 {
		opts.StartTimeout = defaultJaegerStartTimeout
	}
	err := fillTCPPorts(opts.Host, &opts.OTLPGRPCPort, &opts.OTLPHTTPPort, &opts.QueryHTTPPort, &opts.QueryGRPCPort, &opts.ThriftHTTPPort)
	if err == nil && opts.CompactUDPPort == 0 {
		opts.CompactUDPPort, err = FreeUDPPort(opts.Host)
	}
	if err != nil {
		return nil, fmt.Errorf("start jaeger: %w", err)
	}
	hostPort := func(port int) string { return net.JoinHostPort(opts.Host, strconv.Itoa(port)) }
	j := &Jaeger{e: jaegerEndpoints{
		MaxTraces:  opts.MaxTraces,
		OTLPGRPC:   hostPort(opts.OTLPGRPCPort),
		OTLPHTTP:   hostPort(opts.OTLPHTTPPort),
		QueryHTTP:  hostPort(opts.QueryHTTPPort),
		QueryGRPC:  hostPort(opts.QueryGRPCPort),
		ThriftHTTP: hostPort(opts.ThriftHTTPPort),
		CompactUDP: hostPort(opts.CompactUDPPort),
	}}
	config, err := writeJaegerConfig(opts.ConfigDir, j.e)
	if err != nil {
		return nil, fmt.Errorf("start jaeger: %w", err)
	}
	j.Process, err = startReady(ctx, "jaeger", opts.Binary, []string{"--config", config}, opts.Stdout, opts.Stderr, opts.StartTimeout, j.probe)
	if err != nil {
		return nil, err
	}
	return j, nil
}

// probe succeeds once the query API answers and every receiver accepts
// connections. The query API alone is not enough: the collector starts its
// extensions (jaeger_query) before its pipelines, so for a moment spans would
// be refused. The Jaeger receiver binds the compact UDP port before its
// thrift HTTP port, so the latter answering covers both.
func (j *Jaeger) probe(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, j.QueryURL()+"/api/services", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body) // Drain so the connection is reused.
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /api/services: %s", resp.Status)
	}
	var d net.Dialer
	for _, addr := range []string{j.e.OTLPGRPC, j.e.OTLPHTTP, j.e.ThriftHTTP} {
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return err
		}
		_ = conn.Close()
	}
	return nil
}

// QueryURL is the base URL of the query API and UI, e.g. http://127.0.0.1:16686.
func (j *Jaeger) QueryURL() string { return "http://" + j.e.QueryHTTP }

// QueryGRPCEndpoint is the host:port of the query gRPC API.
func (j *Jaeger) QueryGRPCEndpoint() string { return j.e.QueryGRPC }

// OTLPHTTPEndpoint is the host:port of the OTLP/HTTP receiver, as
// otlptracehttp.WithEndpoint wants it.
func (j *Jaeger) OTLPHTTPEndpoint() string { return j.e.OTLPHTTP }

// OTLPGRPCEndpoint is the host:port of the OTLP/gRPC receiver.
func (j *Jaeger) OTLPGRPCEndpoint() string { return j.e.OTLPGRPC }

// ThriftHTTPURL is the collector endpoint for jaeger-client-go's HTTP reporter.
func (j *Jaeger) ThriftHTTPURL() string { return "http://" + j.e.ThriftHTTP + "/api/traces" }

// CompactUDPAddr is the host:port for jaeger-client-go's UDP (agent) reporter.
func (j *Jaeger) CompactUDPAddr() string { return j.e.CompactUDP }
