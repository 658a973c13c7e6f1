package carddata

import "testing"

// The slog handler and the span exporter check every string attribute;
// correlation IDs (32 hex) and DTIDs (UUIDs) are the common ones.
func BenchmarkContains(b *testing.B) {
	for _, bb := range []struct{ name, s string }{
		{"short", "p-1"},
		{"uuid", "01a21946-6936-7c83-bdff-01ec6b1f9d80"},
		{"trace_id", "8c9dc04607bdacb8fea328def087b543"},
		{"log_line", "event dead-lettered reason=card_data stream_seq=123456 dtid=01a21946-6936-7c83-bdff-01ec6b1f9d80"},
	} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Contains(bb.s)
			}
		})
	}
}
