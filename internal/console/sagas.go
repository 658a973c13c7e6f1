package console

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"

	"github.com/sagatrace/sagatrace/internal/httpserver"

	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/timeline"
)

// listPageSize is how many sagas one page of the list shows.
const listPageSize = 20

// sagasView is the list page.
type sagasView struct {
	Sagas    []timeline.Summary
	Statuses []string
	Status   string
	DTID     string
	// NextURL and FirstURL page through visibility; empty when there is
	// no next page, or this is the first.
	NextURL, FirstURL string
}

// listSagas shows recent sagas from Temporal visibility, filtered by
// Temporal status and DTID prefix, one visibility page at a time (the
// page token travels in the URL).
func (s *Server) listSagas(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	lq := timeline.ListQuery{Status: q.Get("status"), DTID: q.Get("dtid"), PageSize: listPageSize}
	if lq.Status != "" && !slices.Contains(timeline.Statuses, lq.Status) {
		return httpserver.Invalid(httpapi.TypeInvalidField, "status must be one of the listed statuses")
	}
	if lq.DTID != "" {
		if err := ids.ValidateDTID(lq.DTID); err != nil {
			return httpserver.Invalid(httpapi.TypeInvalidField, "dtid: "+err.Error())
		}
	}
	if tok := q.Get("page"); tok != "" {
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil {
			return httpserver.Invalid(httpapi.TypeInvalidField, "page is not a page link this console made")
		}
		lq.PageToken = raw
	}
	page, err := s.cfg.Sagas.Temporal.List(r.Context(), lq, s.cfg.Now())
	if err != nil {
		return err
	}
	v := sagasView{Sagas: page.Sagas, Statuses: timeline.Statuses, Status: lq.Status, DTID: lq.DTID}
	link := func(token []byte) string {
		p := url.Values{}
		if lq.Status != "" {
			p.Set("status", lq.Status)
		}
		if lq.DTID != "" {
			p.Set("dtid", lq.DTID)
		}
		if token != nil {
			p.Set("page", base64.RawURLEncoding.EncodeToString(token))
		}
		return "/sagas?" + p.Encode()
	}
	if len(page.NextPageToken) > 0 {
		v.NextURL = link(page.NextPageToken)
	}
	if lq.PageToken != nil {
		v.FirstURL = link(nil)
	}
	return s.render(w, http.StatusOK, "sagas", layoutData{Title: "Sagas", Section: "sagas", Page: v})
}
