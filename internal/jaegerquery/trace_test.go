package jaegerquery

import "testing"

func TestRootIsTheSpanWithoutAParentInTheTrace(t *testing.T) {
	tests := []struct {
		name     string
		trace    Trace
		wantRoot string
		wantOK   bool
	}{
		{
			name: "child_of_and_a_link_to_another_trace",
			trace: Trace{TraceID: "t1", Spans: []Span{
				{SpanID: "child", StartTime: 5, References: []Reference{{RefType: "CHILD_OF", TraceID: "t1", SpanID: "root"}}},
				{SpanID: "root", StartTime: 9, References: []Reference{{RefType: "FOLLOWS_FROM", TraceID: "t0", SpanID: "x"}}},
			}},
			wantRoot: "root", wantOK: true,
		},
		{
			name: "a_parent_in_another_trace_is_no_parent",
			trace: Trace{TraceID: "t1", Spans: []Span{
				{SpanID: "remote-child", References: []Reference{{RefType: "CHILD_OF", TraceID: "t9", SpanID: "p"}}},
			}},
			wantRoot: "remote-child", wantOK: true,
		},
		{
			name: "two_orphans_the_earliest_wins",
			trace: Trace{TraceID: "t1", Spans: []Span{
				{SpanID: "late", StartTime: 20}, {SpanID: "early", StartTime: 10},
			}},
			wantRoot: "early", wantOK: true,
		},
		{name: "empty", trace: Trace{TraceID: "t1"}, wantOK: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root, ok := tt.trace.Root()
			if ok != tt.wantOK || root.SpanID != tt.wantRoot {
				t.Errorf("Root() = %q, %v; want %q, %v", root.SpanID, ok, tt.wantRoot, tt.wantOK)
			}
		})
	}
}

func TestSpanErrorMessage(t *testing.T) {
	tests := []struct {
		name       string
		span       Span
		wantFailed bool
		wantMsg    string
	}{
		{"ok", Span{Tags: []KeyValue{{Key: "dtid", Value: "d"}}}, false, ""},
		{"otel_status", Span{Tags: []KeyValue{
			{Key: "otel.status_code", Value: "ERROR"}, {Key: "otel.status_description", Value: "order rejected"},
		}}, true, "order rejected"},
		{"exception_event", Span{
			Tags: []KeyValue{{Key: "error", Type: "bool", Value: true}},
			Logs: []Log{{Fields: []KeyValue{{Key: "event", Value: "exception"}, {Key: "exception.message", Value: "boom"}}}},
		}, true, "boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.span.Failed(); got != tt.wantFailed {
				t.Errorf("Failed() = %v, want %v", got, tt.wantFailed)
			}
			if got := tt.span.ErrorMessage(); got != tt.wantMsg {
				t.Errorf("ErrorMessage() = %q, want %q", got, tt.wantMsg)
			}
		})
	}
}

func TestNormalizeTraceID(t *testing.T) {
	for in, want := range map[string]string{
		"4BF92F3577B34DA6A3CE929D0E0E4736": "4bf92f3577b34da6a3ce929d0e0e4736",
		"b34da6a3ce929d0e0e4736":           "0000000000b34da6a3ce929d0e0e4736",
		"a3ce929d0e0e4736":                 "0000000000000000a3ce929d0e0e4736",
	} {
		if got := NormalizeTraceID(in); got != want {
			t.Errorf("NormalizeTraceID(%q) = %q, want %q", in, got, want)
		}
	}
}
