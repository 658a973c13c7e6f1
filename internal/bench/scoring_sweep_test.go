package bench

import (
	"encoding/xml"
	"strings"
	"testing"
)

func TestWriteSweepSVGDrawsOneLinePerSeriesAndTheBaseline(t *testing.T) {
	var points []SweepPoint
	for _, zipf := range []bool{false, true} {
		for _, pr := range []int{1_000, 1_000_000} {
			for _, pa := range []int{1, 4, 16} {
				points = append(points, SweepPoint{Partitions: pa, Profiles: pr, Zipf: zipf, JSConsume: 1e5, Ordered: 2e5, Engine: float64(pa) * 1e4})
			}
		}
	}
	var b strings.Builder
	if err := WriteSweepSVG(&b, points, "test <machine> & date"); err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(strings.NewReader(b.String()))
	polylines := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("not well-formed SVG: %v\n%s", err, b.String())
			}
			break
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "polyline" {
			polylines++
		}
	}
	if polylines != 5 { // 4 series and the ordered baseline
		t.Errorf("%d polylines, want 5", polylines)
	}
	for _, label := range []string{"1k profiles, uniform", "1M profiles, zipf", "ordered consumers"} {
		if !strings.Contains(b.String(), label) {
			t.Errorf("legend lacks %q", label)
		}
	}
}
