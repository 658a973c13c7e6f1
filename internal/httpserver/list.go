package httpserver

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/google/uuid"

	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/ids"
)

// ParseListQuery reads ?dtid=&cursor=&limit=, every answer a 400 naming the
// parameter. The cursor is the last public ID (a UUID) of the previous
// page, never a local key, so it is checked to be one.
func ParseListQuery(r *http.Request) (httpapi.ListQuery, error) {
	q := r.URL.Query()
	f := httpapi.ListQuery{DTID: q.Get("dtid"), Cursor: q.Get("cursor"), Limit: httpapi.DefaultListLimit}
	if f.DTID != "" {
		if err := ids.ValidateDTID(f.DTID); err != nil {
			return f, Invalid(httpapi.TypeInvalidField, "dtid: "+err.Error())
		}
	}
	if f.Cursor != "" {
		if _, err := uuid.Parse(f.Cursor); err != nil {
			return f, Invalid(httpapi.TypeInvalidField, "cursor is not a next_cursor this API returned")
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > httpapi.MaxListLimit {
			return f, Invalid(httpapi.TypeInvalidField, fmt.Sprintf("limit must be an integer from 1 to %d, got %q", httpapi.MaxListLimit, v))
		}
		f.Limit = n
	}
	return f, nil
}

// ListHandler serves a list endpoint: it parses the ListQuery, asks list
// for that page and answers it. what names the resources ("payments") in
// the error of a failed list.
func ListHandler[T any](what string, list func(context.Context, httpapi.ListQuery) (httpapi.Page[T], error)) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		q, err := ParseListQuery(r)
		if err != nil {
			return err
		}
		page, err := list(r.Context(), q)
		if err != nil {
			return fmt.Errorf("list %s: %w", what, err)
		}
		return WritePage(w, page)
	}
}

// WritePage answers page with 200. An empty page's items are [], never
// null, so clients can range over them without a check.
func WritePage[T any](w http.ResponseWriter, page httpapi.Page[T]) error {
	if page.Items == nil {
		page.Items = []T{}
	}
	return WriteJSON(w, http.StatusOK, page)
}
