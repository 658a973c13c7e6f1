package devstack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
)

// defaultTemporalStartTimeout is generous: the dev server is usually ready in
// about a second, but a loaded CI machine running tests in parallel is slower.
const defaultTemporalStartTimeout = 60 * time.Second

// TemporalOptions configures [StartTemporal].
type TemporalOptions struct {
	Binary string // the temporal CLI, from [BuildTools]; required
	Host   string // address to bind; "" means 127.0.0.1
	// Ports of the frontend gRPC service, the Web UI, the HTTP API and the
	// Prometheus metrics endpoint; 0 picks a free port.
	Port, UIPort, HTTPPort, MetricsPort int
	// DBFile is the SQLite file that keeps workflows across restarts; ""
	// keeps everything in memory.
	DBFile   string
	Headless bool   // no Web UI
	LogLevel string // debug, info, warn, error or never; "" means warn
	// Stdout and Stderr receive the server's output; nil discards it.
	Stdout, Stderr io.Writer
	// StartTimeout bounds the wait for readiness; 0 means 60s.
	StartTimeout time.Duration
	// SQLitePragmas are passed as --sqlite-pragma NAME=VALUE, for the
	// database file's journal and sync modes.
	SQLitePragmas []string
	// WithoutSearchAttributes starts the server like an existing cluster that
	// never heard of sagatrace, to test that the worker registers the
	// saga's search attributes (DTID, SagaStatus).
	WithoutSearchAttributes bool
	// UICodecEndpoint is the remote codec endpoint the Web UI decodes
	// payloads with (--ui-codec-endpoint); "" for none.
	UICodecEndpoint string
}

// Temporal is a running Temporal dev server (`temporal server start-dev`),
// with the DTID search attribute registered.
type Temporal struct {
	*Process
	hostPort string
	uiURL    string
}

// StartTemporal starts Temporal's dev server and waits until the default
// namespace answers. ctx bounds only the start; the server runs until Stop.
func StartTemporal(ctx context.Context, opts TemporalOptions) (*Temporal, error) {
	if opts.Binary == "" {
		return nil, errors.New("start temporal: Binary is required")
	}
	if opts.Host == "" {
		opts.Host = "127.0.0.1"
	}
	if opts.LogLevel == "" {
		opts.LogLevel = "warn"
	}
	if opts.StartTimeout == 0 {
		opts.StartTimeout = defaultTemporalStartTimeout
	}
	ports := []*int{&opts.Port, &opts.HTTPPort, &opts.MetricsPort}
	if !opts.Headless {
		ports = append(ports, &opts.UIPort)
	}
	if err := fillTCPPorts(opts.Host, ports...); err != nil {
		return nil, fmt.Errorf("start temporal: %w", err)
	}

	args := []string{"server", "start-dev",
		"--ip", opts.Host,
		"--port", strconv.Itoa(opts.Port),
		"--http-port", strconv.Itoa(opts.HTTPPort),
		"--metrics-port", strconv.Itoa(opts.MetricsPort),
		"--log-level", opts.LogLevel,
		"--color", "never",
	}
	if !opts.WithoutSearchAttributes {
		// Registered before the frontend starts: a workflow that upserts an
		// unknown search attribute fails its tasks forever.
		args = append(args, "--search-attribute", "DTID=Keyword", "--search-attribute", "SagaStatus=Keyword")
	}
	// Worker Deployment versioning, with which saga workers roll from one
	// build to the next: on by default in server 1.29, set here so that a
	// server whose defaults differ fails the upgrade tests instead of
	// running every worker unversioned.
	args = append(args,
		"--dynamic-config-value", "system.enableDeploymentVersions=true",
		"--dynamic-config-value", "frontend.workerVersioningWorkflowAPIs=true")
	t := &Temporal{hostPort: net.JoinHostPort(opts.Host, strconv.Itoa(opts.Port))}
	if opts.Headless {
		args = append(args, "--headless")
	} else {
		args = append(args, "--ui-port", strconv.Itoa(opts.UIPort))
		t.uiURL = "http://" + net.JoinHostPort(opts.Host, strconv.Itoa(opts.UIPort))
		if opts.UICodecEndpoint != "" {
			args = append(args, "--ui-codec-endpoint", opts.UICodecEndpoint)
		}
	}
	if opts.DBFile != "" {
		args = append(args, "--db-filename", opts.DBFile)
		for _, p := range opts.SQLitePragmas {
			args = append(args, "--sqlite-pragma", p)
		}
	}
	p, err := startReady(ctx, "temporal", opts.Binary, args, opts.Stdout, opts.Stderr, opts.StartTimeout, t.probe)
	if err != nil {
		return nil, err
	}
	t.Process = p
	return t, nil
}

// probe succeeds once a client can dial the frontend and the default
// namespace exists, which is what a worker needs.
func (t *Temporal) probe(ctx context.Context) error {
	c, err := client.DialContext(ctx, client.Options{
		HostPort: t.hostPort,
		Logger:   log.NewStructuredLogger(slog.New(slog.DiscardHandler)),
	})
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: "default"})
	return err
}

// HostPort is the frontend's gRPC address, for client.Options.HostPort.
func (t *Temporal) HostPort() string { return t.hostPort }

// UIURL is the Web UI's base URL, or "" when headless.
func (t *Temporal) UIURL() string { return t.uiURL }
