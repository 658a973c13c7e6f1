package servicetest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/httpclient"
	"github.com/sagatrace/sagatrace/internal/ids"
)

// Hop starts a new root span as a saga activity would: its trace ID is the
// correlation ID the service must write on the rows of this request.
func (e *Env) Hop(t testing.TB, dtid string) (context.Context, string) {
	t.Helper()
	ctx, span := e.ClientTP.Tracer("test").Start(context.Background(), "hop", trace.WithNewRoot())
	t.Cleanup(func() { span.End() })
	return ids.WithDTID(ctx, dtid), span.SpanContext().TraceID().String()
}

// Raw sends a hand-made request, for what the Client would never send,
// and returns the answer's status, headers and body. It carries the Env's
// bearer token unless headers set "Authorization" (to "" for none).
func (e *Env) Raw(t testing.TB, method, path string, headers map[string]string, body string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, e.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if e.bearer != "" {
		req.Header.Set("Authorization", e.bearer)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	if req.Header.Get("Authorization") == "" {
		req.Header.Del("Authorization")
	}
	resp, body := Do(t, http.DefaultClient, req)
	return resp.StatusCode, resp.Header, body
}

// Problem sends a hand-made request as Raw does and fails t unless the
// answer is a problem of status; it returns the problem and the answer's
// body, for the test to check what the problem says and repeats.
func (e *Env) Problem(t testing.TB, status int, method, path string, headers map[string]string, body string) (httpapi.Problem, string) {
	t.Helper()
	got, h, resp := e.Raw(t, method, path, headers, body)
	var p httpapi.Problem
	if got != status || h.Get("Content-Type") != httpapi.ContentTypeProblem || json.Unmarshal([]byte(resp), &p) != nil {
		t.Fatalf("answer %d %q %s, want a %d problem", got, h.Get("Content-Type"), resp, status)
	}
	return p, resp
}

// Do sends req with c and returns the answer with its whole body, failing
// t when the request cannot be sent or the body not read.
func Do(t testing.TB, c *http.Client, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

// Post sends a JSON body with Idempotency-Key key, as a write of a saga's
// step is sent.
func (e *Env) Post(t testing.TB, path, key, body string) (int, http.Header, string) {
	t.Helper()
	return e.Raw(t, http.MethodPost, path, JSONHeaders(key), body)
}

// JSONHeaders returns the headers of a JSON write with Idempotency-Key key
// (left out when key is ""); a new map each call, for a test to change.
func JSONHeaders(key string) map[string]string {
	h := map[string]string{"Content-Type": "application/json"}
	if key != "" {
		h[ids.HeaderIdempotencyKey] = key
	}
	return h
}

// AtOnce runs call(0) to call(n-1) on n goroutines released together, as
// a saga's retries and a double start of one DTID could send them, and
// waits for all of them.
func AtOnce(n int, call func(i int)) {
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			call(i)
		}()
	}
	close(start)
	wg.Wait()
}

// maxPages stops ListAll on a server whose cursor never ends.
const maxPages = 1000

// ListAll follows NextCursor from q's page to the last and returns every
// item in order with the size of each page.
func ListAll[T any](t testing.TB, list func(context.Context, httpapi.ListQuery) (httpapi.Page[T], error), q httpapi.ListQuery) (items []T, sizes []int) {
	t.Helper()
	for range maxPages {
		page, err := list(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		items, sizes = append(items, page.Items...), append(sizes, len(page.Items))
		if page.NextCursor == "" {
			return items, sizes
		}
		q.Cursor = page.NextCursor
	}
	t.Fatalf("still a next_cursor after %d pages", maxPages)
	return nil, nil
}

// ReadBack reads the entity a create answered (made, with id) back both
// ways a caller can: by its id, and listed by its DTID, where the test
// expects n entities. It returns made, the one read and the listed ones,
// for the test to check each against what was asked.
func ReadBack[T any](t testing.TB, ctx context.Context, reads httpclient.Reads[T], made T, id, dtid string, n int) []T {
	t.Helper()
	got, err := reads.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	page, err := reads.List(ctx, httpapi.ListQuery{DTID: dtid})
	if err != nil || len(page.Items) != n {
		t.Fatalf("list = %+v, %v", page, err)
	}
	return append([]T{made, got}, page.Items...)
}
