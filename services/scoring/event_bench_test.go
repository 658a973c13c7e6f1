package scoring

import "testing"

func BenchmarkDecode(b *testing.B) {
	data := []byte(`{"event_id":"000000000000000000000000000000000001","dtid":"000000000000000000000000000000000001","profile_id":"p-1234","kind":"like","delta":1}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(data); err != nil {
			b.Fatal(err)
		}
	}
}
