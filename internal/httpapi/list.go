package httpapi

import (
	"net/url"
	"strconv"
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

// Values returns the query parameters q sets; the ones it leaves empty are
// not sent, so the server's defaults apply.
func (q ListQuery) Values() url.Values {
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
	return v
}

// Page is one page of a list; NextCursor is empty on the last page.
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// Voided answers the compensation of a whole DTID (POST
// /v1/<collection>/by-dtid/{dtid}/<compensation>): the DTID, voided at the
// service from then on, and every entity of it as the compensation left
// it; none when the step never applied.
type Voided[T any] struct {
	DTID  string `json:"dtid"`
	Items []T    `json:"items"`
}
