// Package traceexport writes every trace of one business transaction into
// one file: in the JSON Jaeger's UI opens from a file ({"data":[…]}, the
// v1 query API's shape), or as OTLP JSON for any other backend. A DTID is
// several traces — the orchestration trace and one per hop attempt — and
// no tracing UI finds them together; one file per transaction does.
package traceexport

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/sagatrace/sagatrace/internal/jaegerquery"
)

// Format is the shape of an export file.
type Format string

const (
	// FormatJaeger is Jaeger's v1 JSON, {"data":[trace, …]}: the file the
	// Jaeger UI's "JSON File" upload opens.
	FormatJaeger = Format("jaeger")
	// FormatOTLP is OTLP JSON, {"resourceSpans":[…]}: the body of an
	// OTLP/HTTP export request (POST /v1/traces) to any collector.
	FormatOTLP = Format("otlp")
)

// ParseFormat reads a --format value.
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case FormatJaeger, FormatOTLP:
		return f, nil
	}
	return "", fmt.Errorf("unknown export format %q: use jaeger (for Jaeger's UI) or otlp (for an OTLP/HTTP collector)", s)
}

// Ext is the file name suffix of an export in f.
func (f Format) Ext() string { return "." + string(f) + ".json" }

// Stats say what an export holds.
type Stats struct {
	Traces int
	Spans  int
}

// Write fetches each trace of traceIDs from Jaeger and writes them all as
// one document in format f. A trace Jaeger does not hold is an error: a
// file that silently lacks a hop would mislead whoever opens it.
func Write(ctx context.Context, jc *jaegerquery.Client, traceIDs []string, f Format, w io.Writer) (Stats, error) {
	var st Stats
	var doc any
	switch f {
	case FormatJaeger:
		data := make([]json.RawMessage, 0, len(traceIDs))
		for _, id := range traceIDs {
			raw, err := jc.GetJSON(ctx, id)
			if err != nil {
				return st, fmt.Errorf("export trace %s: %w", id, err)
			}
			var t jaegerquery.Trace
			if err := json.Unmarshal(raw, &t); err != nil {
				return st, fmt.Errorf("export trace %s: decode: %w", id, err)
			}
			data = append(data, raw)
			st.Traces++
			st.Spans += len(t.Spans)
		}
		doc = struct {
			Data []json.RawMessage `json:"data"`
		}{data}
	case FormatOTLP:
		var rs []json.RawMessage
		for _, id := range traceIDs {
			part, err := jc.GetOTLP(ctx, id)
			if err != nil {
				return st, fmt.Errorf("export trace %s: %w", id, err)
			}
			n, err := countOTLPSpans(part)
			if err != nil {
				return st, fmt.Errorf("export trace %s: %w", id, err)
			}
			rs = append(rs, part...)
			st.Traces++
			st.Spans += n
		}
		doc = struct {
			ResourceSpans []json.RawMessage `json:"resourceSpans"`
		}{rs}
	default:
		return st, fmt.Errorf("export: unknown format %q", f)
	}
	enc := json.NewEncoder(w)
	if err := enc.Encode(doc); err != nil {
		return st, fmt.Errorf("export: write: %w", err)
	}
	return st, nil
}

func countOTLPSpans(resourceSpans []json.RawMessage) (int, error) {
	n := 0
	for _, raw := range resourceSpans {
		var rs struct {
			ScopeSpans []struct {
				Spans []json.RawMessage `json:"spans"`
			} `json:"scopeSpans"`
		}
		if err := json.Unmarshal(raw, &rs); err != nil {
			return 0, fmt.Errorf("decode OTLP resourceSpans: %w", err)
		}
		for _, ss := range rs.ScopeSpans {
			n += len(ss.Spans)
		}
	}
	return n, nil
}
