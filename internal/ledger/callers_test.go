package ledger_test

import (
	"encoding/json"
	"maps"
	"slices"
	"testing"

	"github.com/sagatrace/sagatrace/internal/auth"
	"github.com/sagatrace/sagatrace/internal/database/dbtest"
	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/ledger"
	"github.com/sagatrace/sagatrace/internal/servicetest"
)

// post sends a create of body with key as the caller whose Authorization
// header is bearer, and returns the status and the public ID it answered
// ("" for a problem).
func (e *env) post(t *testing.T, bearer, key string, body map[string]any) (int, string) {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	h := servicetest.JSONHeaders(key)
	h["Authorization"] = bearer
	status, _, answer := e.Raw(t, "POST", e.path(), h, string(b))
	var made map[string]any
	if status/100 == 2 {
		if err := json.Unmarshal([]byte(answer), &made); err != nil {
			t.Fatalf("answer %d %s: %v", status, answer, err)
		}
	}
	id, _ := made[e.svc.name+"_id"].(string)
	return status, id
}

// bearerOf returns the Authorization header of subject holding every
// scope of the service.
func (s service) bearerOf(t *testing.T, subject string) string {
	return servicetest.Bearer(t, auth.Grant{Subject: subject, Audience: []string{s.audience}, Scopes: []string{s.write, s.compensate, s.read}})
}

// createStep is one create in a test of key spaces: who sends it, which
// body, and what it must get.
type createStep struct {
	caller string // "saga" or "other", two token subjects
	body   string // "mine" (the saga's request) or "changed"
	status int
	same   int // the earlier step whose entity this one answers; -1: a new one
}

// run sends steps, all with the Idempotency-Key key, after the steps that
// answered before (their public IDs), and returns the IDs with theirs.
func (e *env) run(t *testing.T, dtid, key string, steps []createStep, answered []string) []string {
	t.Helper()
	bearers := map[string]string{"saga": e.svc.bearerOf(t, "saga-worker"), "other": e.svc.bearerOf(t, "someone-else")}
	// "changed" is another valid request of the DTID (order's still paid by
	// its payment): the first of the service's changes.
	changed := e.svc.changes[slices.Sorted(maps.Keys(e.svc.changes))[0]]
	bodies := map[string]map[string]any{"mine": e.svc.request(dtid), "changed": e.svc.with(dtid, changed)}
	for _, s := range steps {
		i := len(answered)
		status, id := e.post(t, bearers[s.caller], key, bodies[s.body])
		switch {
		case status != s.status:
			t.Fatalf("step %d (%s, %s body): status %d, want %d", i, s.caller, s.body, status, s.status)
		case s.same >= 0 && id != answered[s.same]:
			t.Errorf("step %d (%s, %s body) answered %s, want step %d's %s", i, s.caller, s.body, id, s.same, answered[s.same])
		}
		for j, earlier := range answered {
			if s.same < 0 && id != "" && earlier == id {
				t.Errorf("step %d (%s) answered step %d's entity %s, want a new one", i, s.caller, j, id)
			}
		}
		answered = append(answered, id)
	}
	return answered
}

// wantRows fails t unless the service holds entities, each with the audit
// rows of one create.
func (e *env) wantRows(t *testing.T, entities int) {
	t.Helper()
	if n := e.Count(t, e.svc.table); n != entities {
		t.Errorf("%s = %d, want %d", e.svc.table, n, entities)
	}
	if n, want := e.Count(t, e.svc.events), entities*len(e.svc.created); n != want {
		t.Errorf("audit rows = %d, want %d", n, want)
	}
}

// An Idempotency-Key belongs to the caller that sent it (the token's
// subject): the same key from another caller is another request, so no
// holder of the write scope can claim a saga's key (derived from its DTID)
// before the saga and make its step fail or answer someone else's entity.
// From one caller the key replays as always.
func TestIdempotencyKeysAreScopedToTheCaller(t *testing.T) {
	tests := []struct {
		name     string
		disabled bool // auth disabled: every request is the one anonymous caller
		steps    []createStep
		entities int
	}{
		{name: "another_caller_claiming_the_key_first_does_not_block_the_saga", steps: []createStep{
			{caller: "other", body: "changed", status: 201, same: -1},
			{caller: "saga", body: "mine", status: 201, same: -1},
			{caller: "saga", body: "mine", status: 200, same: 1},
			{caller: "other", body: "changed", status: 200, same: 0},
		}, entities: 2},
		{name: "another_caller_with_the_same_body_gets_its_own_entity", steps: []createStep{
			{caller: "saga", body: "mine", status: 201, same: -1},
			{caller: "other", body: "mine", status: 201, same: -1},
		}, entities: 2},
		{name: "the_same_caller_replays", steps: []createStep{
			{caller: "saga", body: "mine", status: 201, same: -1},
			{caller: "saga", body: "mine", status: 200, same: 0},
		}, entities: 1},
		{name: "a_different_body_is_refused_per_caller", steps: []createStep{
			{caller: "saga", body: "mine", status: 201, same: -1},
			{caller: "saga", body: "changed", status: 422, same: -1},
			{caller: "other", body: "changed", status: 201, same: -1},
			{caller: "other", body: "mine", status: 422, same: -1},
		}, entities: 2},
		{name: "without_auth_every_request_is_one_anonymous_caller", disabled: true, steps: []createStep{
			{caller: "saga", body: "mine", status: 201, same: -1},
			{caller: "other", body: "mine", status: 200, same: 0},
			{caller: "other", body: "changed", status: 422, same: -1},
		}, entities: 1},
	}
	eachService(t, func(t *testing.T, svc service, backend dbtest.Backend) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				cfg := ledger.Config{}
				cfg.Auth.Disabled = tt.disabled
				e := newEnv(t, svc, backend, cfg)
				dtid := ids.NewDTID()
				e.run(t, dtid, ids.IdempotencyKey(dtid, svc.name), tt.steps, nil)
				e.wantRows(t, tt.entities)
			})
		}
	})
}

// A database written before keys were scoped (version 4) holds bare keys.
// Served by this build, such a row still answers its key: a saga whose
// charge was written before the upgrade and retried after it gets that
// charge back instead of a second one. The row's caller is unknown, so it
// keeps the rule it was written under, for every caller.
func TestKeysStoredBeforeCallerScopesStillReplay(t *testing.T) {
	eachService(t, func(t *testing.T, svc service, backend dbtest.Backend) {
		url := backend.URL(t)
		var pay *payments
		if svc.readsPayment {
			pay = newPayments(t, backend)
		}
		old := openEnv(t, svc, url, ledger.Config{}, pay)
		dtid := ids.NewDTID()
		key := ids.IdempotencyKey(dtid, svc.name)
		answered := old.run(t, dtid, key, []createStep{{caller: "saga", body: "mine", status: 201, same: -1}}, nil)

		// Turn the database back into what the previous build left: the
		// same row, written by the same code but for its key, stored bare
		// in a table without the caller column, at version 3.
		for _, stmt := range []struct {
			sql  string
			args []any
		}{
			{`UPDATE ` + svc.table + ` SET idempotency_key = $1 WHERE ` + svc.name + `_id = $2`, []any{key, answered[0]}},
			{`ALTER TABLE ` + svc.table + ` DROP COLUMN caller`, nil},
			{`DELETE FROM schema_migrations WHERE component = $1 AND version = 4`, []any{svc.name}},
		} {
			if _, err := old.DB.Exec(stmt.sql, stmt.args...); err != nil {
				t.Fatalf("%s: %v", stmt.sql, err)
			}
		}

		upgraded := openEnv(t, svc, url, ledger.Config{}, pay)
		upgraded.run(t, dtid, key, []createStep{
			{caller: "saga", body: "mine", status: 200, same: 0},
			{caller: "saga", body: "changed", status: 422, same: -1},
			{caller: "other", body: "mine", status: 200, same: 0},
		}, answered)
		upgraded.wantRows(t, 1)
		var caller, stored string
		if err := upgraded.DB.QueryRow(`SELECT caller, idempotency_key FROM `+svc.table).Scan(&caller, &stored); err != nil {
			t.Fatal(err)
		}
		if caller != "" || stored != key {
			t.Errorf("the old row holds caller %q and key %q after the upgrade, want \"\" and the bare %q", caller, stored, key)
		}
	})
}
