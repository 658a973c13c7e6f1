package jaegerquery

import (
	"fmt"
	"strings"
)

// Trace is one trace as Jaeger returns it.
type Trace struct {
	TraceID   string             `json:"traceID"`
	Spans     []Span             `json:"spans"`
	Processes map[string]Process `json:"processes"`
}

// Span is one span of a Trace.
type Span struct {
	TraceID       string      `json:"traceID"`
	SpanID        string      `json:"spanID"`
	OperationName string      `json:"operationName"`
	References    []Reference `json:"references"`
	StartTime     int64       `json:"startTime"` // unix microseconds
	Duration      int64       `json:"duration"`  // microseconds
	Tags          []KeyValue  `json:"tags"`
	Logs          []Log       `json:"logs"`
	ProcessID     string      `json:"processID"`
}

// Reference links a span to its parent (CHILD_OF) or, for an OpenTelemetry
// span link, to a span of another trace (FOLLOWS_FROM).
type Reference struct {
	RefType string `json:"refType"`
	TraceID string `json:"traceID"`
	SpanID  string `json:"spanID"`
}

// KeyValue is a span tag or a field of a log.
type KeyValue struct {
	Key   string `json:"key"`
	Type  string `json:"type"`
	Value any    `json:"value"`
}

// Log is a span event (OpenTelemetry) or log (OpenTracing): a recorded
// error arrives as an event whose fields hold exception.message.
type Log struct {
	Timestamp int64      `json:"timestamp"` // unix microseconds
	Fields    []KeyValue `json:"fields"`
}

// Process names the service that emitted spans.
type Process struct {
	ServiceName string `json:"serviceName"`
}

// Tag returns the string form of the span's tag key, or "".
func (s Span) Tag(key string) string { return lookup(s.Tags, key) }

// Field returns the string form of the log's field key, or "".
func (l Log) Field(key string) string { return lookup(l.Fields, key) }

func lookup(kvs []KeyValue, key string) string {
	for _, kv := range kvs {
		if kv.Key == key {
			return fmt.Sprint(kv.Value)
		}
	}
	return ""
}

// Failed reports whether the span ended in error: an OpenTelemetry error
// status (Jaeger shows it as otel.status_code=ERROR and error=true) or an
// OpenTracing error tag.
func (s Span) Failed() bool {
	return s.Tag("error") == "true" || s.Tag("otel.status_code") == "ERROR"
}

// ErrorMessage returns what the span says went wrong: the status
// description, else the message of a recorded exception, else "".
func (s Span) ErrorMessage() string {
	if msg := s.Tag("otel.status_description"); msg != "" {
		return msg
	}
	for _, l := range s.Logs {
		if msg := l.Field("exception.message"); msg != "" {
			return msg
		}
	}
	return s.Tag("error.message")
}

// Service returns the service name of span s in t.
func (t Trace) Service(s Span) string { return t.Processes[s.ProcessID].ServiceName }

// Root returns the span of t that has no parent in t: the first one
// started, should a broken trace have several.
func (t Trace) Root() (Span, bool) {
	var root Span
	found := false
	for _, s := range t.Spans {
		if s.parentIn(t.TraceID) {
			continue
		}
		if !found || s.StartTime < root.StartTime {
			root, found = s, true
		}
	}
	return root, found
}

func (s Span) parentIn(traceID string) bool {
	for _, r := range s.References {
		if r.RefType == "CHILD_OF" && NormalizeTraceID(r.TraceID) == NormalizeTraceID(traceID) {
			return true
		}
	}
	return false
}

// NormalizeTraceID returns id as OpenTelemetry prints it: 32 lower-case hex
// digits. jaeger-client-go prints 128-bit IDs without leading zeros, and
// 64-bit ones are half as long.
func NormalizeTraceID(id string) string {
	id = strings.ToLower(id)
	if len(id) < 32 {
		id = strings.Repeat("0", 32-len(id)) + id
	}
	return id
}
