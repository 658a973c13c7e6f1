package console

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"golang.org/x/sync/errgroup"

	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/httpserver"
	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/operator"
	"github.com/sagatrace/sagatrace/internal/timeline"
	"github.com/sagatrace/sagatrace/workflows"
)

// listPageSize is how many sagas one page of the list shows.
const listPageSize = 20

// sagasView is the list page.
type sagasView struct {
	Sagas        []timeline.Summary
	Statuses     []string
	Status       string
	SagaStatuses []workflows.Status
	SagaStatus   string
	DTID         string
	// Retried is how many parked sagas the batch retry just signalled (-1:
	// none was asked).
	Retried int
	// NextURL and FirstURL page through visibility; empty when there is
	// no next page, or this is the first.
	NextURL, FirstURL string
}

// listSagas shows recent sagas from Temporal visibility, filtered by
// Temporal status and DTID prefix, one visibility page at a time (the
// page token travels in the URL).
func (s *Server) listSagas(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	lq := timeline.ListQuery{Status: q.Get("status"), SagaStatus: q.Get("saga_status"), DTID: q.Get("dtid"), PageSize: listPageSize}
	if lq.Status != "" && !slices.Contains(timeline.Statuses, lq.Status) {
		return httpserver.Invalid(httpapi.TypeInvalidField, "status must be one of the listed statuses")
	}
	if lq.SagaStatus != "" && !slices.Contains(workflows.Statuses(), workflows.Status(lq.SagaStatus)) {
		return httpserver.Invalid(httpapi.TypeInvalidField, "saga_status must be one of the listed saga statuses")
	}
	retried := -1
	if n, err := strconv.Atoi(q.Get("retried")); err == nil && n >= 0 {
		retried = n
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
	v := sagasView{Sagas: page.Sagas, Statuses: timeline.Statuses, Status: lq.Status, DTID: lq.DTID,
		SagaStatuses: workflows.Statuses(), SagaStatus: lq.SagaStatus, Retried: retried}
	link := func(token []byte) string {
		p := url.Values{}
		if lq.Status != "" {
			p.Set("status", lq.Status)
		}
		if lq.SagaStatus != "" {
			p.Set("saga_status", lq.SagaStatus)
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

// maxBatchRetry bounds one batch retry: an operator retrying more parked
// sagas than this clicks again, each click a bounded piece of work.
const maxBatchRetry = 100

// batchRetryConcurrency is how many retries of a batch run at once.
const batchRetryConcurrency = 8

// retryParked retries the compensation of every parked saga, up to
// maxBatchRetry: the queue `sagatrace sagas` lists (operator.List, which
// checks each by its own saga_state, as the attribute may lag), then
// shows the parked list again (POST-redirect-GET).
func (s *Server) retryParked(w http.ResponseWriter, r *http.Request) error {
	t := s.cfg.Sagas.Temporal
	parked, err := operator.List(r.Context(), t.Client, t.Namespace, workflows.StatusCompensationFailed, maxBatchRetry)
	if err != nil {
		return &timeline.SourceError{Source: "Temporal", Err: err}
	}
	// Each update waits for the saga's retry to finish; a few at a time
	// keep a long queue within the server's write timeout.
	who := operatorName(r)
	g, ctx := errgroup.WithContext(r.Context())
	g.SetLimit(batchRetryConcurrency)
	for _, sg := range parked {
		g.Go(func() error {
			return s.act(ctx, sg.DTID, sg.WorkflowID, workflows.UpdateRetryCompensation, workflows.OperatorRequest{Operator: who})
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	http.Redirect(w, r, "/sagas?saga_status="+string(workflows.StatusCompensationFailed)+"&retried="+strconv.Itoa(len(parked)), http.StatusSeeOther)
	return nil
}
