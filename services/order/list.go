package order

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/google/uuid"

	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/ids"
)

func (s *Server) handleList(w http.ResponseWriter, r *http.Request) error {
	f, err := parseListFilter(r)
	if err != nil {
		return err
	}
	page, err := s.store.list(r.Context(), f)
	if err != nil {
		return fmt.Errorf("list orders: %w", err)
	}
	if page.Items == nil {
		page.Items = []Order{} // an empty page is [], never null
	}
	return httpapi.WriteJSON(w, http.StatusOK, page)
}

// parseListFilter reads ?dtid=&cursor=&limit=. The cursor is the last
// order_id of the previous page: a public UUID, never a local key.
func parseListFilter(r *http.Request) (ListFilter, error) {
	q := r.URL.Query()
	f := ListFilter{DTID: q.Get("dtid"), Cursor: q.Get("cursor"), Limit: DefaultListLimit}
	if f.DTID != "" {
		if err := ids.ValidateDTID(f.DTID); err != nil {
			return f, httpapi.Invalid(httpapi.TypeInvalidField, "dtid: "+err.Error())
		}
	}
	if f.Cursor != "" {
		if _, err := uuid.Parse(f.Cursor); err != nil {
			return f, httpapi.Invalid(httpapi.TypeInvalidField, "cursor is not a next_cursor this API returned")
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxListLimit {
			return f, httpapi.Invalid(httpapi.TypeInvalidField, fmt.Sprintf("limit must be an integer from 1 to %d, got %q", MaxListLimit, v))
		}
		f.Limit = n
	}
	return f, nil
}
