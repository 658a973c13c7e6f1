package httpserver

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/httpclient"
)

func TestParseListQuery(t *testing.T) {
	const cursor = "0197a1b2-0000-7000-8000-000000000001"
	tests := []struct {
		name       string
		query      string
		want       httpapi.ListQuery
		wantDetail string // "" means the query is accepted
	}{
		{name: "defaults", query: "", want: httpapi.ListQuery{Limit: httpapi.DefaultListLimit}},
		{name: "everything_set", query: "dtid=d-1&cursor=" + cursor + "&limit=7", want: httpapi.ListQuery{DTID: "d-1", Cursor: cursor, Limit: 7}},
		{name: "largest_limit", query: "limit=200", want: httpapi.ListQuery{Limit: httpapi.MaxListLimit}},
		{name: "limit_too_large", query: "limit=201", wantDetail: `limit must be an integer from 1 to 200, got "201"`},
		{name: "limit_zero", query: "limit=0", wantDetail: "limit must be an integer from 1 to 200"},
		{name: "negative_limit", query: "limit=-1", wantDetail: "limit must be an integer from 1 to 200"},
		{name: "limit_not_a_number", query: "limit=ten", wantDetail: `got "ten"`},
		{name: "cursor_not_a_uuid", query: "cursor=42", wantDetail: "cursor is not a next_cursor this API returned"},
		{name: "invalid_dtid", query: "dtid=a%20b", wantDetail: "dtid: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseListQuery(httptest.NewRequest(http.MethodGet, "/v1/things?"+tt.query, nil))
			if tt.wantDetail == "" {
				if err != nil || got != tt.want {
					t.Errorf("ParseListQuery = %+v, %v; want %+v", got, err, tt.want)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Kind != KindInvalid || e.Type != httpapi.TypeInvalidField || !strings.Contains(e.Msg, tt.wantDetail) {
				t.Errorf("err = %v, want invalid-field containing %q", err, tt.wantDetail)
			}
		})
	}
}

// httpclient.GetPage sends only what the query sets, and an empty page arrives as [].
func TestGetPageRoundTrip(t *testing.T) {
	tests := []struct {
		name      string
		q         httpapi.ListQuery
		wantQuery string
	}{
		{name: "nothing_set", q: httpapi.ListQuery{}, wantQuery: ""},
		{name: "dtid_and_limit", q: httpapi.ListQuery{DTID: "d-1", Limit: 2}, wantQuery: "dtid=d-1&limit=2"},
		{name: "cursor", q: httpapi.ListQuery{Cursor: "c"}, wantQuery: "cursor=c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var gotQuery string
			srv := httptest.NewServer(HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
				gotQuery = r.URL.RawQuery
				return WritePage(w, httpapi.Page[string]{})
			}))
			t.Cleanup(srv.Close)
			page, err := httpclient.GetPage[string](context.Background(), http.DefaultClient, srv.URL+"/v1/things", tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if gotQuery != tt.wantQuery {
				t.Errorf("query = %q, want %q", gotQuery, tt.wantQuery)
			}
			if page.Items == nil || len(page.Items) != 0 || page.NextCursor != "" {
				t.Errorf("page = %#v, want empty items and no cursor", page)
			}
		})
	}
}

func TestGetPageReturnsProblems(t *testing.T) {
	srv := httptest.NewServer(HandlerFunc(func(_ http.ResponseWriter, r *http.Request) error {
		_, err := ParseListQuery(r)
		return err
	}))
	t.Cleanup(srv.Close)
	_, err := httpclient.GetPage[string](context.Background(), http.DefaultClient, srv.URL, httpapi.ListQuery{Limit: httpapi.MaxListLimit + 1})
	var pe *httpapi.ProblemError
	if !errors.As(err, &pe) || pe.Status != http.StatusBadRequest || pe.Type != httpapi.TypeInvalidField {
		t.Errorf("err = %v, want a 400 %s problem", err, httpapi.TypeInvalidField)
	}
}

func TestListHandler(t *testing.T) {
	failing := errors.New("disk on fire")
	tests := []struct {
		name       string
		query      string
		err        error
		wantStatus int
		wantBody   string
	}{
		{name: "page", query: "?limit=3", wantStatus: 200, wantBody: `{"items":[3],"next_cursor":"c"}`},
		{name: "bad_query_never_lists", query: "?limit=0", wantStatus: 400, wantBody: httpapi.TypeInvalidField},
		{name: "failed_list_is_internal", err: failing, wantStatus: 500, wantBody: "internal error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var listed bool
			h := ListHandler("things", func(_ context.Context, q httpapi.ListQuery) (httpapi.Page[int], error) {
				listed = true
				return httpapi.Page[int]{Items: []int{q.Limit}, NextCursor: "c"}, tt.err
			})
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/v1/things"+tt.query, nil))
			if w.Code != tt.wantStatus || !strings.Contains(w.Body.String(), tt.wantBody) {
				t.Errorf("%d %s, want %d with %s", w.Code, w.Body.String(), tt.wantStatus, tt.wantBody)
			}
			if listed != (tt.wantStatus != 400) {
				t.Errorf("listed = %v", listed)
			}
		})
	}
}

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
