package httpclient

import (
	"context"
	"testing"

	"github.com/sagatrace/sagatrace/internal/ids"
)

func TestWriteHeaders(t *testing.T) {
	tests := []struct {
		name     string
		ctx      context.Context
		dtid     string
		wantDTID string
	}{
		{name: "outside_a_hop_sends_the_body_dtid", ctx: context.Background(), dtid: "d-1", wantDTID: "d-1"},
		{name: "inside_a_hop_leaves_it_to_the_context", ctx: ids.WithDTID(context.Background(), "d-ctx"), dtid: "d-1"},
		{name: "no_dtid_known", ctx: context.Background()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := WriteHeaders(tt.ctx, "k-1", tt.dtid)
			if got := h.Get(ids.HeaderIdempotencyKey); got != "k-1" {
				t.Errorf("Idempotency-Key = %q", got)
			}
			if got := h.Get(ids.HeaderDTID); got != tt.wantDTID {
				t.Errorf("X-DTID = %q, want %q", got, tt.wantDTID)
			}
		})
	}
}
