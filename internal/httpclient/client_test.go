package httpclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/httpserver"
	"github.com/sagatrace/sagatrace/internal/ids"
)

func TestDoHeadersAndErrors(t *testing.T) {
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		switch r.URL.Path {
		case "/ok":
			_ = httpserver.WriteJSON(w, http.StatusCreated, map[string]string{"id": "x"})
		default:
			httpserver.WriteError(w, r, httpserver.Refused("payment-declined", "declined by the processor"))
		}
	}))
	t.Cleanup(srv.Close)

	ctx := ids.WithCorrelationID(ids.WithDTID(context.Background(), "d-1"), "c-1")
	var out struct{ ID string }
	headers := http.Header{"Idempotency-Key": {"k-1"}}
	if err := Do(ctx, http.DefaultClient, http.MethodPost, srv.URL+"/ok", headers, map[string]int{"a": 1}, &out); err != nil {
		t.Fatal(err)
	}
	if out.ID != "x" {
		t.Errorf("decoded %+v", out)
	}
	for k, v := range map[string]string{"X-Dtid": "d-1", "X-Correlation-Id": "c-1", "Idempotency-Key": "k-1", "Content-Type": "application/json"} {
		if got.Get(k) != v {
			t.Errorf("header %s = %q, want %q", k, got.Get(k), v)
		}
	}
	if got.Get(ids.HeaderFaults) != "" {
		t.Error("faults header sent without a plan in ctx")
	}

	err := Do(ctx, http.DefaultClient, http.MethodPost, srv.URL+"/refuse", nil, nil, nil)
	var pe *httpapi.ProblemError
	if !errors.As(err, &pe) || pe.Status != 422 || pe.Type != "payment-declined" || pe.Retryable() {
		t.Fatalf("err = %#v, want a non-retryable 422 payment-declined", err)
	}
}

func TestDoTransportFailureIsNotAProblem(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close() // nothing listens there now
	err = Do(context.Background(), http.DefaultClient, http.MethodGet, "http://"+addr+"/", nil, nil, nil)
	var pe *httpapi.ProblemError
	if err == nil || errors.As(err, &pe) {
		t.Fatalf("err = %v, want a plain transport error", err)
	}
}

// A problem the client reads back is the problem the server wrote, even
// through wrapping; what is not a problem still yields one.
func TestDecodeProblem(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
		body        string
		status      int
		want        httpapi.ProblemError
		retryable   bool
	}{
		{
			name:        "problem_json",
			contentType: httpapi.ContentTypeProblem,
			body:        `{"type":"` + httpapi.ProblemTypeBase + `payment-declined","title":"Payment declined","status":422,"detail":"no funds","dtid":"d-1","correlation_id":"c"}`,
			status:      422,
			want:        httpapi.ProblemError{Status: 422, Type: "payment-declined", Title: "Payment declined", Detail: "no funds", DTID: "d-1", CorrelationID: "c"},
		},
		{
			name:        "proxy_html",
			contentType: "text/html",
			body:        "<html>bad gateway</html>",
			status:      502,
			want:        httpapi.ProblemError{Status: 502, Title: "Bad Gateway", Detail: "<html>bad gateway</html>"},
			retryable:   true,
		},
		{
			name:        "broken_problem_json",
			contentType: httpapi.ContentTypeProblem,
			body:        `{"type":`,
			status:      503,
			want:        httpapi.ProblemError{Status: 503, Title: "Service Unavailable", Detail: `{"type":`},
			retryable:   true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := &http.Response{
				StatusCode: tt.status,
				Header:     http.Header{"Content-Type": {tt.contentType}},
				Body:       http.NoBody,
			}
			resp.Body = io.NopCloser(strings.NewReader(tt.body))
			got := httpapi.DecodeProblem(resp).Err(resp.StatusCode)
			if *got != tt.want {
				t.Errorf("got  %+v\nwant %+v", *got, tt.want)
			}
			if got.Retryable() != tt.retryable {
				t.Errorf("Retryable = %v", got.Retryable())
			}
			var pe *httpapi.ProblemError
			if !errors.As(fmt.Errorf("payment: charge: %w", got), &pe) || pe.Status != tt.status {
				t.Error("errors.As does not find the ProblemError through wrapping")
			}
		})
	}
}
