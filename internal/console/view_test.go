package console

import (
	"strings"
	"testing"
	"time"

	"github.com/sagatrace/sagatrace/internal/timeline"
)

func TestHopViewsPlaceBarsOnTheSagasClock(t *testing.T) {
	tests := []struct {
		name         string
		hop          timeline.Hop
		wantX, wantW float64
	}{
		{"a_quarter_in_the_middle", timeline.Hop{InJaeger: true, Offset: 250 * time.Millisecond, Duration: 250 * time.Millisecond}, 25, 25},
		{"a_blip_stays_visible", timeline.Hop{InJaeger: true, Offset: 500 * time.Millisecond, Duration: time.Microsecond}, 50, minBarPercent},
		{"past_the_end_is_clamped", timeline.Hop{InJaeger: true, Offset: 1200 * time.Millisecond, Duration: time.Second}, 100 - minBarPercent, minBarPercent},
		{"not_in_jaeger_has_no_bar", timeline.Hop{Offset: 0, Duration: 0}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := hopViews(timeline.Timeline{Duration: time.Second, Hops: []timeline.Hop{tt.hop}})[0]
			if v.X != tt.wantX || v.W != tt.wantW {
				t.Errorf("bar x=%v w=%v, want x=%v w=%v", v.X, v.W, tt.wantX, tt.wantW)
			}
		})
	}
}

func TestParseLag(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []PartitionLag
		wantErr bool
	}{
		{"sorted_by_partition", "# TYPE scoring_partition_lag gauge\nscoring_partition_lag{partition=\"10\"} 3\nscoring_partition_lag{partition=\"2\"} 0\nother 1\n",
			[]PartitionLag{{2, 0}, {10, 3}}, false},
		{"none_exported", "go_goroutines 12\n", nil, false},
		{"garbled", "scoring_partition_lag{partition=\"x\"} 1\n", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseLag(strings.NewReader(tt.in))
			if (err != nil) != tt.wantErr || len(got) != len(tt.want) {
				t.Fatalf("parseLag = %v, %v; want %v (error %v)", got, err, tt.want, tt.wantErr)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("lag[%d] = %v, want %v", i, got[i], tt.want[i])
				}
			}
		})
	}
}
