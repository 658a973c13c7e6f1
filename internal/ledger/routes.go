package ledger

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/sagatrace/sagatrace/internal/faults/faulthttp"
	"github.com/sagatrace/sagatrace/internal/httpapi"
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
	dtid := rs.api.DTIDOf(req.Body)
	ctx := httpserver.BindDTID(r.Context(), dtid)
	if err := faulthttp.InjectBefore(ctx, req.Faults, rs.api.Operation); err != nil {
		return err
	}
	// Checked here too, not only in Store.Create's transaction: a replay
	// of a key whose entity the void compensated is refused alike, and
	// the service's step never starts.
	voided, err := rs.api.Store.Voided(ctx, dtid)
	if err != nil {
		return err
	}
	e, created := *new(E), false
	if !voided {
		e, created, err = rs.api.Create(ctx, req)
	}
	switch {
	case voided || errors.Is(err, ErrVoided):
		return httpserver.Conflict(TypeDTIDVoided, fmt.Sprintf(
			"dtid %s was compensated at this service; it takes no new %s (start a new transaction with a new DTID)", dtid, rs.api.Noun))
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
	dtid := *rs.api.Store.schema.Common(&e).DTID
	ctx := r.Context()
	if ids.DTIDFrom(ctx) == "" {
		ctx = httpserver.BindDTID(ctx, dtid)
	}
	// The entity's DTID is voided first: whatever else of it arrives late
	// is refused from now on.
	if _, err := rs.api.Store.Void(ctx, dtid, ids.CorrelationIDFrom(ctx)); err != nil {
		return err
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

// compensateDTID serves the compensation of a whole DTID, for a saga that
// does not know what its step created (the step timed out, or was still
// in flight when the saga was cancelled): it voids the DTID, then
// compensates every entity of it. With nothing created it only voids, so
// the step can never apply afterwards. It answers 200 with the DTID's
// entities as they are now.
func (rs *routes[E, S, R]) compensateDTID(w http.ResponseWriter, r *http.Request) error {
	if _, err := httpserver.RequireIdempotencyKey(r); err != nil {
		return err
	}
	if err := httpserver.DiscardBody(r); err != nil {
		return err
	}
	dtid := r.PathValue("dtid")
	var problems httpserver.Problems
	problems.CheckDTID(dtid, r.Header.Get(ids.HeaderDTID))
	if err := problems.Err(); err != nil {
		return err
	}
	plan, err := rs.faults.Plan(r)
	if err != nil {
		return err
	}
	c := rs.api.Compensation
	ctx := httpserver.BindDTID(r.Context(), dtid)
	if err := faulthttp.InjectBefore(ctx, plan, c.Operation); err != nil {
		return err
	}
	entities, err := rs.api.Store.Void(ctx, dtid, ids.CorrelationIDFrom(ctx))
	if err != nil {
		return err
	}
	out := httpapi.Voided[E]{DTID: dtid, Items: make([]E, 0, len(entities))}
	var movedAny bool
	for _, id := range entities {
		e, err := rs.api.Store.Get(ctx, id)
		if err != nil {
			return fmt.Errorf("read %s %s: %w", rs.api.Store.schema.Name, id, err)
		}
		e, moved, err := compensate(ctx, c, rs.api.Store, e, plan)
		if err != nil {
			return err
		}
		movedAny = movedAny || moved
		out.Items = append(out.Items, e)
	}
	if movedAny && faulthttp.Crashes(plan, c.Operation) {
		faulthttp.AnswerCrash(w, r.WithContext(ctx), c.Operation)
		return nil
	}
	return httpserver.WriteJSON(w, http.StatusOK, out)
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
		// The ID is not echoed: a path is the client's to write, a card
		// number included, and it knows which ID it asked for.
		return e, httpserver.NotFound(rs.api.Problems.NotFound, fmt.Sprintf("no %s with the ID in the path", name))
	case err != nil:
		return e, fmt.Errorf("read %s %s: %w", name, id, err)
	}
	return e, nil
}

func (rs *routes[E, S, R]) id(e *E) string { return *rs.api.Store.schema.Common(e).ID }
