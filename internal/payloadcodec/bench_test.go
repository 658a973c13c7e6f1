package payloadcodec_test

import (
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
)

// BenchmarkRoundTrip is the codec's own cost for one saga input (about
// 100 bytes of JSON): encrypted by the starter, decrypted by the worker.
// A saga moves about 20 payloads through it, end to end.
func BenchmarkRoundTrip(b *testing.B) {
	c := newCodec(b, newKey(b))
	p, err := converter.GetDefaultDataConverter().ToPayload(secretInput)
	if err != nil {
		b.Fatal(err)
	}
	in := []*commonpb.Payload{p}
	b.ReportAllocs()
	for b.Loop() {
		enc, err := c.Encode(in)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Decode(enc); err != nil {
			b.Fatal(err)
		}
	}
}
