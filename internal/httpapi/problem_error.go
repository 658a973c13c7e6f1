package httpapi

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// MaxProblemBytes bounds how much of an error body a client reads.
const MaxProblemBytes = 64 << 10

// ProblemError is a non-2xx answer from a sagatrace service, as an error.
// Callers branch on Status and Type (the slug, e.g. "payment-declined")
// with errors.As, however deeply the client wrapped it.
type ProblemError struct {
	Status        int
	Type          string // slug; "" for about:blank
	Title         string
	Detail        string
	DTID          string
	CorrelationID string
}

// Error renders the problem on one line.
func (e *ProblemError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP %d", e.Status)
	if e.Type != "" {
		b.WriteString(" " + e.Type)
	}
	if e.Detail != "" {
		b.WriteString(": " + e.Detail)
	} else if e.Title != "" {
		b.WriteString(": " + e.Title)
	}
	return b.String()
}

// Retryable reports whether the same request may succeed later: 5xx, 408
// and 429. Everything else (400, 404, 409, 422) will fail again.
func (e *ProblemError) Retryable() bool {
	return e.Status >= 500 || e.Status == http.StatusTooManyRequests || e.Status == http.StatusRequestTimeout
}

// DecodeProblem reads resp's body as a problem. A body that is not problem
// JSON (a proxy's HTML page) still yields a Problem with resp's status, the
// status text as title and the start of the body as detail. It does not
// close the body.
func DecodeProblem(resp *http.Response) *Problem {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, MaxProblemBytes))
	p := &Problem{}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mt == ContentTypeProblem || mt == "application/json" {
		if err := json.Unmarshal(body, p); err != nil {
			p = &Problem{}
		}
	}
	if p.Status == 0 {
		p.Status = resp.StatusCode
	}
	if p.Type == "" {
		p.Type = "about:blank"
	}
	if p.Title == "" {
		p.Title = http.StatusText(resp.StatusCode)
	}
	if p.Detail == "" && p.Type == "about:blank" {
		p.Detail = strings.TrimSpace(string(body[:min(len(body), 200)]))
	}
	return p
}

// Err returns p as a *ProblemError. The HTTP status wins over the body's
// status member, which a faulty server could get wrong.
func (p *Problem) Err(httpStatus int) *ProblemError {
	return &ProblemError{
		Status:        httpStatus,
		Type:          p.Slug(),
		Title:         p.Title,
		Detail:        p.Detail,
		DTID:          p.DTID,
		CorrelationID: p.CorrelationID,
	}
}
