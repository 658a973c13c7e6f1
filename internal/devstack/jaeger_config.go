package devstack

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"text/template"
)

// jaegerConfigTemplate is a whole Jaeger v2 (OpenTelemetry Collector) config:
// in-memory storage, OTLP and legacy Jaeger receivers, the query API, and
// nothing else. Leaving out what we don't use is what keeps Jaeger off its
// default ports: no healthcheck (13133), remote sampling (5778/5779), zipkin
// (9411), zpages, expvar or Prometheus self-metrics (8888). Every endpoint is
// explicit because the defaults bind all interfaces.
const jaegerConfigTemplate = `# Written by sagatrace (internal/devstack); regenerated on every start.
service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp, jaeger]
      # No batch processor: spans should show up in the UI at once.
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
extensions:
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: {{.MaxTraces}}
  jaeger_query:
    # On by default: Jaeger would trace itself to 127.0.0.1:4317, which may be
    # another Jaeger, and wait 10s at shutdown flushing to nobody.
    enable_tracing: false
    storage:
      traces: memstore
    http:
      endpoint: "{{.QueryHTTP}}"
    grpc:
      endpoint: "{{.QueryGRPC}}"
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: "{{.OTLPGRPC}}"
      http:
        endpoint: "{{.OTLPHTTP}}"
  jaeger:
    # For legacy jaeger-client-go callers.
    protocols:
      thrift_http:
        endpoint: "{{.ThriftHTTP}}"
      thrift_compact:
        endpoint: "{{.CompactUDP}}"
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
`

// jaegerEndpoints are the host:port values the config template fills in.
type jaegerEndpoints struct {
	MaxTraces              int
	OTLPGRPC, OTLPHTTP     string
	QueryHTTP, QueryGRPC   string
	ThriftHTTP, CompactUDP string
}

// writeJaegerConfig writes the config into dir and returns its path.
func writeJaegerConfig(dir string, e jaegerEndpoints) (string, error) {
	tmpl, err := template.New("jaeger.yaml").Parse(jaegerConfigTemplate)
	if err != nil {
		return "", fmt.Errorf("parse jaeger config template: %w", err)
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, e); err != nil {
		return "", fmt.Errorf("render jaeger config: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, "jaeger.yaml")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return "", err
	}
	return path, nil
}
