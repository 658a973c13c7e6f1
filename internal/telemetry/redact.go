package telemetry

import (
	"context"
	"fmt"
	"log/slog"
	"slices"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/sagatrace/sagatrace/internal/carddata"
)

// Card numbers are refused wherever input enters (see carddata), but an
// error may still echo a refused value: "currency \"4111…\" is not
// supported". Logs and exported spans leave the process for good, so both
// pass through carddata.Redact on the way out.

// redactAttr returns a with card numbers redacted from its string value,
// from errors and Stringers (rendered as text), and inside groups, and
// whether it changed anything. It says so itself rather than letting the
// caller compare: slog's Value.Equal compares any-values with ==, which
// panics on slices and maps.
func redactAttr(a slog.Attr) (slog.Attr, bool) {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		if s := v.String(); carddata.Contains(s) {
			return slog.String(a.Key, carddata.Redact(s)), true
		}
	case slog.KindGroup:
		group := v.Group()
		out := make([]slog.Attr, len(group))
		changed := false
		for i, g := range group {
			var c bool
			out[i], c = redactAttr(g)
			changed = changed || c
		}
		if changed {
			return slog.Attr{Key: a.Key, Value: slog.GroupValue(out...)}, true
		}
	case slog.KindAny:
		var s string
		switch x := v.Any().(type) {
		case error:
			s = x.Error()
		case fmt.Stringer:
			s = x.String()
		default:
			return a, false
		}
		if carddata.Contains(s) {
			return slog.String(a.Key, carddata.Redact(s)), true
		}
	}
	return a, false
}

// redactRecord returns r with card numbers redacted from its message and
// attributes; r itself when there is nothing to redact.
func redactRecord(r slog.Record) slog.Record {
	dirty := carddata.Contains(r.Message)
	attrs := make([]slog.Attr, 0, r.NumAttrs())
	r.Attrs(func(a slog.Attr) bool {
		ra, changed := redactAttr(a)
		dirty = dirty || changed
		attrs = append(attrs, ra)
		return true
	})
	if !dirty {
		return r
	}
	out := slog.NewRecord(r.Time, r.Level, carddata.Redact(r.Message), r.PC)
	out.AddAttrs(attrs...)
	return out
}

func redactAttrs(attrs []slog.Attr) []slog.Attr {
	out := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		out[i], _ = redactAttr(a)
	}
	return out
}

// redactingExporter redacts card numbers from span names, attributes,
// events, links and status before next exports them. Spans without any
// are passed on as they are.
type redactingExporter struct{ next sdktrace.SpanExporter }

func (e redactingExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	out := spans
	copied := false // the batch is the SDK's: copy before changing it
	for i, s := range spans {
		if !spanHoldsCardData(s) {
			continue
		}
		if !copied {
			out, copied = append([]sdktrace.ReadOnlySpan(nil), spans...), true
		}
		out[i] = redactSpan(s)
	}
	return e.next.ExportSpans(ctx, out)
}

func (e redactingExporter) Shutdown(ctx context.Context) error { return e.next.Shutdown(ctx) }

func attrsHoldCardData(kvs []attribute.KeyValue) bool {
	for _, kv := range kvs {
		if kv.Value.Type() == attribute.STRING && carddata.Contains(kv.Value.AsString()) {
			return true
		}
		if kv.Value.Type() == attribute.STRINGSLICE {
			for _, s := range kv.Value.AsStringSlice() {
				if carddata.Contains(s) {
					return true
				}
			}
		}
	}
	return false
}

func spanHoldsCardData(s sdktrace.ReadOnlySpan) bool {
	if carddata.Contains(s.Name()) || carddata.Contains(s.Status().Description) || attrsHoldCardData(s.Attributes()) {
		return true
	}
	for _, ev := range s.Events() {
		if carddata.Contains(ev.Name) || attrsHoldCardData(ev.Attributes) {
			return true
		}
	}
	for _, l := range s.Links() {
		if attrsHoldCardData(l.Attributes) {
			return true
		}
	}
	return false
}

func redactKVs(kvs []attribute.KeyValue) []attribute.KeyValue {
	out := make([]attribute.KeyValue, len(kvs))
	for i, kv := range kvs {
		switch kv.Value.Type() {
		case attribute.STRING:
			out[i] = attribute.String(string(kv.Key), carddata.Redact(kv.Value.AsString()))
		case attribute.STRINGSLICE:
			ss := kv.Value.AsStringSlice()
			for j := range ss {
				ss[j] = carddata.Redact(ss[j])
			}
			out[i] = attribute.StringSlice(string(kv.Key), ss)
		default:
			out[i] = kv
		}
	}
	return out
}

func redactSpan(s sdktrace.ReadOnlySpan) sdktrace.ReadOnlySpan { return redactedSpan{s} }

// redactedSpan is a finished span as the exporter sees it once card
// numbers are redacted from its name, status, attributes, events and link
// attributes; everything else is the span's own.
type redactedSpan struct{ sdktrace.ReadOnlySpan }

func (s redactedSpan) Name() string { return carddata.Redact(s.ReadOnlySpan.Name()) }

func (s redactedSpan) Status() sdktrace.Status {
	st := s.ReadOnlySpan.Status()
	st.Description = carddata.Redact(st.Description)
	return st
}

func (s redactedSpan) Attributes() []attribute.KeyValue {
	return redactKVs(s.ReadOnlySpan.Attributes())
}

func (s redactedSpan) Events() []sdktrace.Event {
	events := slices.Clone(s.ReadOnlySpan.Events())
	for i := range events {
		events[i].Name = carddata.Redact(events[i].Name)
		events[i].Attributes = redactKVs(events[i].Attributes)
	}
	return events
}

func (s redactedSpan) Links() []sdktrace.Link {
	links := slices.Clone(s.ReadOnlySpan.Links())
	for i := range links {
		links[i].Attributes = redactKVs(links[i].Attributes)
	}
	return links
}
