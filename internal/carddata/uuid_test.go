package carddata_test

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/sagatrace/sagatrace/internal/carddata"
	"github.com/sagatrace/sagatrace/internal/carddata/cardtest"
	"github.com/sagatrace/sagatrace/internal/ids"
)

// No UUID is a card number, whatever its digits: sagatrace's DTIDs,
// payment IDs and idempotency keys are UUIDs, and one refused would fail a
// saga for nothing. Each kind is also tried in the places sagatrace puts
// one: upper case, behind a prefix, as a workflow ID.
func TestNoUUIDLooksLikeACard(t *testing.T) {
	const n = 200_000
	kinds := []struct {
		name string
		id   func(i int) string
	}{
		{"sha1", func(i int) string {
			return uuid.NewSHA1(uuid.NameSpaceOID, []byte{byte(i), byte(i >> 8), byte(i >> 16)}).String()
		}},
		{"v7", func(int) string { return ids.NewUUID() }},
		{"v4", func(int) string { return uuid.NewString() }},
		{"idempotency_key", func(i int) string { return ids.IdempotencyKey(ids.NewDTID(), "payment.charge") }},
	}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			for i := range n {
				id := k.id(i)
				for _, s := range []string{id, strings.ToUpper(id), "order-saga-" + id, "worker:" + id} {
					if carddata.Contains(s) {
						t.Fatalf("%s taken for a card number", s)
					}
				}
			}
		})
	}
}

// Every spelling the other packages' tests send is one the detector finds,
// and redacts to its last four digits.
func TestEverySpellingIsACard(t *testing.T) {
	for _, sp := range cardtest.Spellings() {
		t.Run(sp.Name, func(t *testing.T) {
			if !carddata.Contains(sp.Value) {
				t.Fatalf("Contains(%q) = false", sp.Value)
			}
			r := carddata.Redact("x " + sp.Value + " y")
			if carddata.Contains(r) || !strings.Contains(r, "*"+sp.Last4) {
				t.Errorf("Redact = %q, want the number masked but for %s", r, sp.Last4)
			}
		})
	}
}
