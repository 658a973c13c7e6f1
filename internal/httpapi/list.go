package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/google/uuid"

	"github.com/sagatrace/sagatrace/internal/ids"
)

// Bounds of a list request's page size.
const (
	DefaultListLimit = 50
	MaxListLimit     = 200
)

// ListQuery selects one page of a service's resources: all of one DTID
// when set, after Cursor (a NextCursor from the previous page), at most
// Limit (0 means DefaultListLimit). It is ?dtid=&cursor=&limit= on the wire.
type ListQuery struct {
	DTID   string
	Cursor string
	Limit  int
}

// Page is one page of a list; NextCursor is empty on the last page.
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// ParseListQuery reads ?dtid=&cursor=&limit=, every answer a 400 naming the
// parameter. The cursor is the last public ID (a UUID) of the previous
// page, never a local key, so it is checked to be one.
func ParseListQuery(r *http.Request) (ListQuery, error) {
	q := r.URL.Query()
	f := ListQuery{DTID: q.Get("dtid"), Cursor: q.Get("cursor"), Limit: DefaultListLimit}
	if f.DTID != "" {
		if err := ids.ValidateDTID(f.DTID); err != nil {
			return f, Invalid(TypeInvalidField, "dtid: "+err.Error())
		}
	}
	if f.Cursor != "" {
		if _, err := uuid.Parse(f.Cursor); err != nil {
			return f, Invalid(TypeInvalidField, "cursor is not a next_cursor this API returned")
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxListLimit {
			return f, Invalid(TypeInvalidField, fmt.Sprintf("limit must be an integer from 1 to %d, got %q", MaxListLimit, v))
		}
		f.Limit = n
	}
	return f, nil
}

// ListHandler serves a list endpoint: it parses the ListQuery, asks list
// for that page and answers it. what names the resources ("payments") in
// the error of a failed list.
func ListHandler[T any](what string, list func(context.Context, ListQuery) (Page[T], error)) HandlerFunc {
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
func WritePage[T any](w http.ResponseWriter, page Page[T]) error {
	if page.Items == nil {
		page.Items = []T{}
	}
	return WriteJSON(w, http.StatusOK, page)
}

// GetPage asks the list endpoint at rawURL ("http://host/v1/payments") for
// the page q selects; only the parameters q sets are sent, so the server's
// defaults apply to the rest.
func GetPage[T any](ctx context.Context, c *http.Client, rawURL string, q ListQuery) (Page[T], error) {
	v := url.Values{}
	if q.DTID != "" {
		v.Set("dtid", q.DTID)
	}
	if q.Cursor != "" {
		v.Set("cursor", q.Cursor)
	}
	if q.Limit != 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if len(v) > 0 {
		rawURL += "?" + v.Encode()
	}
	var page Page[T]
	if err := Do(ctx, c, http.MethodGet, rawURL, nil, nil, &page); err != nil {
		return Page[T]{}, err
	}
	return page, nil
}
