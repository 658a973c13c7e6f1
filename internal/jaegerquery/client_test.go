package jaegerquery

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// The real Jaeger is exercised by the end-to-end tests; this checks the
// search walk and the decoding against Jaeger's v1 JSON shape.
func TestFindAllByTagWalksEveryServiceAndDedupes(t *testing.T) {
	var queried []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/services":
			_, _ = w.Write([]byte(`{"data":["payment","saga-worker"]}`))
		case "/api/traces":
			q := r.URL.Query()
			queried = append(queried, q.Get("service"))
			var tags map[string]string
			if err := json.Unmarshal([]byte(q.Get("tags")), &tags); err != nil || tags["dtid"] != "d-1" {
				t.Errorf("tags = %q, want dtid d-1", q.Get("tags"))
			}
			if q.Get("start") == "" || q.Get("end") == "" {
				t.Error("search without explicit time bounds: Jaeger ignores lookback")
			}
			_, _ = w.Write([]byte(`{"data":[{"traceID":"t1","spans":[{"traceID":"t1","spanID":"s1","operationName":"payment.charge",
				"references":[{"refType":"FOLLOWS_FROM","traceID":"t0","spanID":"s0"}],"tags":[{"key":"dtid","type":"string","value":"d-1"}],
				"processID":"p1"}],"processes":{"p1":{"serviceName":"saga-worker"}}}]}`))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()

	c := &Client{BaseURL: srv.URL}
	traces, err := c.FindAllByTag(t.Context(), "dtid", "d-1", time.Now().Add(-time.Hour), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(queried) != 2 {
		t.Errorf("queried services %v, want both", queried)
	}
	tr, ok := traces["t1"]
	if len(traces) != 1 || !ok {
		t.Fatalf("traces = %v, want t1 once", traces)
	}
	s := tr.Spans[0]
	if s.Tag("dtid") != "d-1" || tr.Service(s) != "saga-worker" || s.References[0].RefType != "FOLLOWS_FROM" {
		t.Errorf("decoded span = %+v", s)
	}
}

func TestGetReportsUnreachableJaeger(t *testing.T) {
	c := &Client{BaseURL: "http://127.0.0.1:1"}
	if _, err := c.Get(t.Context(), "abc"); err == nil {
		t.Fatal("no error from an unreachable Jaeger")
	}
}

func TestUnreachableJaegerIsTyped(t *testing.T) {
	c := &Client{BaseURL: "http://127.0.0.1:1"}
	_, err := c.Services(t.Context())
	var unreachable *UnreachableError
	if !errors.As(err, &unreachable) || unreachable.BaseURL != c.BaseURL {
		t.Fatalf("err = %v, want an *UnreachableError naming %s", err, c.BaseURL)
	}
}

func TestGetOfAMissingTraceIsErrTraceNotFound(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"errors":[{"code":404,"msg":"trace not found"}]}`, http.StatusNotFound)
	}))
	defer srv.Close()
	_, err := (&Client{BaseURL: srv.URL}).Get(t.Context(), "0af7651916cd43dd8448eb211c80319c")
	if !errors.Is(err, ErrTraceNotFound) {
		t.Fatalf("err = %v, want ErrTraceNotFound", err)
	}
}
