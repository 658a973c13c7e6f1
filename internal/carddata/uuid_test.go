package carddata

import (
	"testing"

	"github.com/google/uuid"
)

// No UUID is a card number, whatever its digits: sagatrace's DTIDs,
// payment IDs and idempotency keys are UUIDs, and one refused would fail a
// saga for nothing.
func TestNoUUIDLooksLikeACard(t *testing.T) {
	for i := range 200_000 {
		id := uuid.NewSHA1(uuid.NameSpaceOID, []byte{byte(i), byte(i >> 8), byte(i >> 16)}).String()
		if Contains(id) {
			t.Fatalf("UUID %s taken for a card number", id)
		}
	}
}
