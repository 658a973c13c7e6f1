package httpserver

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestWriteCreated(t *testing.T) {
	tests := []struct {
		name         string
		created      bool
		wantStatus   int
		wantLocation string
	}{
		{name: "created", created: true, wantStatus: 201, wantLocation: "/v1/things/t-1"},
		{name: "replayed", created: false, wantStatus: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			if err := WriteCreated(w, tt.created, "/v1/things/t-1", map[string]string{"id": "t-1"}); err != nil {
				t.Fatal(err)
			}
			if w.Code != tt.wantStatus || w.Header().Get("Location") != tt.wantLocation || !strings.Contains(w.Body.String(), `"t-1"`) {
				t.Errorf("%d, Location %q, body %s", w.Code, w.Header().Get("Location"), w.Body.String())
			}
		})
	}
}
