package database

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

func TestSpansMarkFaultsButNotAnswers(t *testing.T) {
	errNotFound := errors.New("thing not found")
	tests := []struct {
		name       string
		dialect    Dialect
		wantSystem string
		dtid       string
		err        error
		wantFailed bool
	}{
		{name: "success", dialect: SQLite, wantSystem: "sqlite", dtid: "d-1"},
		{name: "answer", dialect: SQLite, wantSystem: "sqlite", err: fmt.Errorf("get: %w", errNotFound)},
		{name: "fault", dialect: SQLite, wantSystem: "sqlite", dtid: "d-1", err: errors.New("disk on fire"), wantFailed: true},
		{name: "on_postgres", dialect: Postgres, wantSystem: "postgresql", dtid: "d-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := tracetest.NewSpanRecorder()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
			spans := NewSpans(tp, tt.dialect, "thing", errNotFound)
			func() (err error) {
				_, span := spans.Start(context.Background(), "get", tt.dtid)
				defer spans.End(span, &err)
				return tt.err
			}()
			ended := rec.Ended()
			if len(ended) != 1 {
				t.Fatalf("%d spans ended, want 1", len(ended))
			}
			s := ended[0]
			attrs := map[string]string{}
			for _, a := range s.Attributes() {
				attrs[string(a.Key)] = a.Value.Emit()
			}
			if s.Name() != "thing.store.get" || s.InstrumentationScope().Name != "thing/store" ||
				attrs["db.system.name"] != tt.wantSystem || attrs["db.operation.name"] != "get" {
				t.Errorf("span %q of %q, attributes %v", s.Name(), s.InstrumentationScope().Name, attrs)
			}
			// An unknown DTID is left out, not written as "".
			if dtid, ok := attrs["dtid"]; dtid != tt.dtid || ok != (tt.dtid != "") {
				t.Errorf("dtid attribute = %q (present %v), want %q", dtid, ok, tt.dtid)
			}
			if failed := s.Status().Code == codes.Error; failed != tt.wantFailed {
				t.Errorf("failed = %v, want %v", failed, tt.wantFailed)
			}
		})
	}
}
