package httpclient

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
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
