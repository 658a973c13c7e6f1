package ids

import (
	"context"
	"strings"
	"testing"
)

func TestValidateDTID(t *testing.T) {
	long := make([]byte, MaxDTIDLen+1)
	for i := range long {
		long[i] = 'a'
	}
	tests := []struct {
		name    string
		dtid    string
		wantErr bool
	}{
		{name: "uuid", dtid: NewDTID()},
		{name: "cli_workflow_id", dtid: "order-saga-2026.11:x_1"},
		{name: "empty", dtid: "", wantErr: true},
		{name: "too_long", dtid: string(long), wantErr: true},
		{name: "space", dtid: "a b", wantErr: true},
		{name: "leading_dash", dtid: "-abc", wantErr: true},
		{name: "quote", dtid: `a"b`, wantErr: true},
		// A card number in any spelling the detector knows is refused, and
		// the error does not repeat it (wantErr checks it says why).
		{name: "card", dtid: "4111111111111111", wantErr: true},
		{name: "card_glued", dtid: "cust4111111111111111", wantErr: true},
		{name: "card_dots", dtid: "4111.1111.1111.1111", wantErr: true},
		{name: "card_underscores", dtid: "4111_1111_1111_1111", wantErr: true},
		{name: "card_colons", dtid: "4111:1111:1111:1111", wantErr: true},
		{name: "card_dashes", dtid: "4111-1111-1111-1111", wantErr: true},
		{name: "card_eight_eight", dtid: "41111111-11111111", wantErr: true},
		{name: "card_fullwidth", dtid: "４１１１１１１１１１１１１１１１", wantErr: true},
		{name: "idempotency_key", dtid: IdempotencyKey("d-1", "payment.charge")},
		{name: "workflow_id", dtid: "order-saga-" + NewDTID()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateDTID(tt.dtid)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ValidateDTID(%q) = %v, want error %v", tt.dtid, err, tt.wantErr)
			}
			if strings.HasPrefix(tt.name, "card") && (!strings.Contains(err.Error(), "card number") || strings.Contains(err.Error(), tt.dtid)) {
				t.Errorf("ValidateDTID(%q) = %q, want it to name a card number without repeating it", tt.dtid, err)
			}
		})
	}
}

func TestIdempotencyKeyIsStablePerStep(t *testing.T) {
	a := IdempotencyKey("d-1", "payment.charge")
	if a != IdempotencyKey("d-1", "payment.charge") {
		t.Fatal("same dtid and step gave different keys")
	}
	if a == IdempotencyKey("d-1", "payment.refund") || a == IdempotencyKey("d-2", "payment.charge") {
		t.Fatal("different dtid or step gave the same key")
	}
}

func TestContextCarriesIDs(t *testing.T) {
	ctx := WithCorrelationID(WithDTID(context.Background(), "d-1"), "c-1")
	if got := DTIDFrom(ctx); got != "d-1" {
		t.Errorf("DTIDFrom = %q", got)
	}
	if got := CorrelationIDFrom(ctx); got != "c-1" {
		t.Errorf("CorrelationIDFrom = %q", got)
	}
	if DTIDFrom(context.Background()) != "" {
		t.Error("empty context carries a DTID")
	}
}
