package bench

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
)

// SweepPoint is one configuration of a scoring sweep and its rates.
type SweepPoint struct {
	Partitions, Profiles int
	Zipf                 bool
	JSConsume, Ordered   float64 // baselines, msgs/s
	Engine               float64 // events/s
	RowsPerEvent         float64
}

// SweepScoring runs one round of RunScoring per combination of partitions,
// profiles and key distribution (uniform, then Zipf), each on a fresh
// server.
func SweepScoring(ctx context.Context, o ScoringOptions, partitions, profiles []int) ([]SweepPoint, error) {
	var out []SweepPoint
	for _, zipf := range []bool{false, true} {
		for _, pr := range profiles {
			for _, pa := range partitions {
				po := o
				po.Partitions, po.Profiles, po.Zipf, po.Rounds = pa, pr, zipf, 1
				// A directory per point: a database left by another point
				// holds offsets of another stream.
				po.WorkDir = filepath.Join(o.WorkDir, fmt.Sprintf("point-%d", len(out)))
				if err := os.MkdirAll(po.WorkDir, 0o755); err != nil {
					return out, err
				}
				fmt.Fprintf(o.Progress, "sweep: %d partitions, %d profiles, zipf %v\n", pa, pr, zipf)
				res, err := RunScoring(ctx, po)
				if err != nil {
					return out, fmt.Errorf("sweep point %d partitions, %d profiles: %w", pa, pr, err)
				}
				out = append(out, SweepPoint{Partitions: pa, Profiles: pr, Zipf: zipf,
					JSConsume: res.BaselineRate, Ordered: res.OrderedRate, Engine: res.Engine, RowsPerEvent: res.RowsPerEvent})
			}
		}
	}
	return out, nil
}

// WriteSweepSVG plots the engine's events/s against the partition count
// (log scale), one line per profile count and distribution, with the
// ordered-consumer baseline (mean over the series) dashed. title says
// which machine and date.
func WriteSweepSVG(w io.Writer, points []SweepPoint, title string) error {
	const width, height, left, right, top, bottom = 760, 440, 70, 200, 40, 50
	type key struct {
		profiles int
		zipf     bool
	}
	series := map[key][]SweepPoint{}
	var order []key
	var xs []int
	maxY := 0.0
	ordered := map[int][]float64{}
	for _, p := range points {
		k := key{p.Profiles, p.Zipf}
		if _, ok := series[k]; !ok {
			order = append(order, k)
		}
		series[k] = append(series[k], p)
		if !containsInt(xs, p.Partitions) {
			xs = append(xs, p.Partitions)
		}
		maxY = math.Max(maxY, math.Max(p.Engine, p.Ordered))
		ordered[p.Partitions] = append(ordered[p.Partitions], p.Ordered)
	}
	if len(xs) == 0 {
		return fmt.Errorf("sweep plot: no points")
	}
	maxY = math.Ceil(maxY/50_000) * 50_000
	lx0, lx1 := math.Log2(float64(minInt(xs))), math.Log2(float64(maxInt(xs)))
	if lx1 == lx0 {
		lx1 = lx0 + 1
	}
	px := func(x int) float64 {
		return left + (math.Log2(float64(x))-lx0)/(lx1-lx0)*(width-left-right)
	}
	py := func(y float64) float64 { return height - bottom - y/maxY*(height-top-bottom) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%d" y="20" font-size="14">%s</text>`+"\n", left, escapeXML(title))
	for i := 0; i <= 5; i++ {
		y := maxY * float64(i) / 5
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/><text x="%d" y="%.1f" text-anchor="end">%.0fk</text>`+"\n",
			left, width-right, py(y), py(y), left-6, py(y)+4, y/1000)
	}
	for _, x := range xs {
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%d</text>`+"\n", px(x), height-bottom+18, x)
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">partitions</text>`+"\n", (left+width-right)/2, height-12)
	fmt.Fprintf(&b, `<text x="16" y="%d" transform="rotate(-90 16 %d)" text-anchor="middle">events/s committed</text>`+"\n", (top+height-bottom)/2, (top+height-bottom)/2)
	colors := []string{"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf"}
	for i, k := range order {
		var pts []string
		for _, p := range series[k] {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(p.Partitions), py(p.Engine)))
		}
		c := colors[i%len(colors)]
		dash := ""
		if k.zipf {
			dash = ` stroke-dasharray="2,3"`
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2"%s points="%s"/>`+"\n", c, dash, strings.Join(pts, " "))
		dist := "uniform"
		if k.zipf {
			dist = "zipf"
		}
		ly := top + 16*i
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="%s" stroke-width="2"%s/><text x="%d" y="%d">%s profiles, %s</text>`+"\n",
			width-right+10, width-right+30, ly, ly, c, dash, width-right+35, ly+4, humanCount(k.profiles), dist)
	}
	var base []string
	for _, x := range xs {
		base = append(base, fmt.Sprintf("%.1f,%.1f", px(x), py(mean(ordered[x]))))
	}
	ly := top + 16*len(order)
	fmt.Fprintf(&b, `<polyline fill="none" stroke="#777" stroke-width="1.5" stroke-dasharray="8,4" points="%s"/>`+"\n", strings.Join(base, " "))
	fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="#777" stroke-dasharray="8,4"/><text x="%d" y="%d">ordered consumers (mean)</text>`+"\n",
		width-right+10, width-right+30, ly, ly, width-right+35, ly+4)
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func containsInt(v []int, x int) bool {
	for _, e := range v {
		if e == x {
			return true
		}
	}
	return false
}

func minInt(v []int) int {
	m := v[0]
	for _, e := range v {
		m = min(m, e)
	}
	return m
}

func maxInt(v []int) int {
	m := v[0]
	for _, e := range v {
		m = max(m, e)
	}
	return m
}

func mean(v []float64) float64 {
	s := 0.0
	for _, e := range v {
		s += e
	}
	return s / float64(len(v))
}

func humanCount(n int) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return fmt.Sprintf("%dM", n/1_000_000)
	case n >= 1_000 && n%1_000 == 0:
		return fmt.Sprintf("%dk", n/1_000)
	}
	return fmt.Sprint(n)
}

func escapeXML(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
