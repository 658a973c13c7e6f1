package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
)

func TestDecodeProblem(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
		body        string
		status      int
		want        ProblemError
		retryable   bool
	}{
		{
			name:        "problem_json",
			contentType: ContentTypeProblem,
			body:        `{"type":"` + ProblemTypeBase + `payment-declined","title":"Payment declined","status":422,"detail":"no funds","dtid":"d-1","correlation_id":"c"}`,
			status:      422,
			want:        ProblemError{Status: 422, Type: "payment-declined", Title: "Payment declined", Detail: "no funds", DTID: "d-1", CorrelationID: "c"},
		},
		{
			name:        "proxy_html",
			contentType: "text/html",
			body:        "<html>bad gateway</html>",
			status:      502,
			want:        ProblemError{Status: 502, Title: "Bad Gateway", Detail: "<html>bad gateway</html>"},
			retryable:   true,
		},
		{
			name:        "broken_problem_json",
			contentType: ContentTypeProblem,
			body:        `{"type":`,
			status:      503,
			want:        ProblemError{Status: 503, Title: "Service Unavailable", Detail: `{"type":`},
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
			resp.Body = readCloser(tt.body)
			got := DecodeProblem(resp).Err(resp.StatusCode)
			if *got != tt.want {
				t.Errorf("got  %+v\nwant %+v", *got, tt.want)
			}
			if got.Retryable() != tt.retryable {
				t.Errorf("Retryable = %v", got.Retryable())
			}
			var pe *ProblemError
			if !errors.As(fmt.Errorf("payment: charge: %w", got), &pe) || pe.Status != tt.status {
				t.Error("errors.As does not find the ProblemError through wrapping")
			}
		})
	}
}
