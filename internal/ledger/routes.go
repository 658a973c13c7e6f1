package ledger

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/sagatrace/sagatrace/internal/faults/faulthttp"
	"github.com/sagatrace/sagatrace/internal/httpserver"
	"github.com/sagatrace/sagatrace/internal/ids"
)

// routes are the handlers of one API.
type routes[E any, S ~string, R any] struct {
	api     API[E, S, R]
	maxBody int64
	faults  faulthttp.Gate
}

// create decodes and validates the request, applies the faults meant to
// strike before the write, runs the service's step and answers 201, or
// 200 for a replay of the Idempotency-Key.
func (rs *routes[E, S, R]) create(w http.ResponseWriter, r *http.Request) error {
	req, err := DecodeWrite(w, r, rs.maxBody, &rs.faults, rs.api.Validate)
	if err != nil {
		return err
	}
	if req.Fingerprint, err = Fingerprint(req.Body); err != nil {
		return err
	}
	ctx := httpserver.BindDTID(r.Context(), rs.api.DTIDOf(req.Body))
	if err := faulthttp.InjectBefore(ctx, req.Faults, rs.api.Operation); err != nil {
		return err
	}
	e, created, err := rs.api.Create(ctx, req)
	switch {
	case errors.Is(err, ErrKeyReused):
		return httpserver.Refused(rs.api.Problems.KeyReused, fmt.Sprintf(
			"Idempotency-Key was already used for a different %s; use a new key for a new %[1]s", rs.api.Noun))
	case err != nil:
		return err
	}
	// Only the request that committed crashes: its retry finds the entity
	// by the Idempotency-Key and is answered as usual.
	if created && faulthttp.Crashes(req.Faults, rs.api.Operation) {
		faulthttp.AnswerCrash(w, r.WithContext(ctx), rs.api.Operation)
		return nil
	}
	if rs.api.Refuse != nil {
		if err := rs.api.Refuse(e); err != nil {
			return err
		}
	}
	return httpserver.WriteCreated(w, created, "/v1/"+rs.api.Collection+"/"+rs.id(&e), e)
}

// compensate serves the step's compensation (a refund, a cancel). The
// Idempotency-Key is required like on every write but not stored: the
// compensation is idempotent by the entity's state.
func (rs *routes[E, S, R]) compensate(w http.ResponseWriter, r *http.Request) error {
	if _, err := httpserver.RequireIdempotencyKey(r); err != nil {
		return err
	}
	// No body is read, but one past the limit is still refused (413).
	if err := httpserver.DiscardBody(r); err != nil {
		return err
	}
	plan, err := rs.faults.Plan(r)
	if err != nil {
		return err
	}
	c := rs.api.Compensation
	if err := faulthttp.InjectBefore(r.Context(), plan, c.Operation); err != nil {
		return err
	}
	e, err := rs.read(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	if ids.DTIDFrom(ctx) == "" {
		ctx = httpserver.BindDTID(ctx, *rs.api.Store.schema.Common(&e).DTID)
	}
	e, moved, err := compensate(ctx, c, rs.api.Store, e, plan)
	if err != nil {
		return err
	}
	if moved && faulthttp.Crashes(plan, c.Operation) {
		faulthttp.AnswerCrash(w, r, c.Operation)
		return nil
	}
	return httpserver.WriteJSON(w, http.StatusOK, e)
}

func (rs *routes[E, S, R]) get(w http.ResponseWriter, r *http.Request) error {
	e, err := rs.read(r)
	if err != nil {
		return err
	}
	return httpserver.WriteJSON(w, http.StatusOK, e)
}

// read returns the entity the path names, or the problem to answer.
func (rs *routes[E, S, R]) read(r *http.Request) (E, error) {
	name := rs.api.Store.schema.Name
	id := r.PathValue(rs.api.Store.schema.IDColumn)
	e, err := rs.api.Store.Get(r.Context(), id)
	switch {
	case errors.Is(err, ErrNotFound):
		return e, httpserver.NotFound(rs.api.Problems.NotFound, fmt.Sprintf("no %s %q", name, id))
	case err != nil:
		return e, fmt.Errorf("read %s %s: %w", name, id, err)
	}
	return e, nil
}

func (rs *routes[E, S, R]) id(e *E) string { return *rs.api.Store.schema.Common(e).ID }
