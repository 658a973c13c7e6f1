package timeline

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"
)

// BarWidth is how many characters the text waterfall spans.
const BarWidth = 32

// Glyphs of the text waterfall.
const (
	glyphStep         = "█"
	glyphCompensation = "▒"
	glyphFailed       = "x"
)

// WriteText prints tl for a terminal: the saga, one row per hop attempt
// with its bar on the saga's clock, what went wrong, and where each trace is.
func WriteText(w io.Writer, tl Timeline) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Saga %s  %s\n", tl.DTID, strings.ToUpper(tl.Status))
	if wf := tl.Workflow; wf != nil {
		fmt.Fprintf(&b, "  workflow  %s  run %s  (Temporal: %s)\n", wf.ID, wf.RunID, wf.TemporalStatus)
	}
	if tl.Amount != nil {
		fmt.Fprintf(&b, "  amount    %s\n", tl.Amount)
	}
	fmt.Fprintf(&b, "  started   %s  took %s\n", tl.Start.UTC().Format("2006-01-02 15:04:05.000 MST"), round(tl.Duration))
	if wf := tl.Workflow; wf != nil {
		fmt.Fprintf(&b, "  Temporal  %s\n", wf.URL)
	}
	b.WriteString("\n")

	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, " #\tKIND\tSTEP\tOPERATION\tSERVICE\tATTEMPT\tCORRELATION ID = TRACE ID\tSTART\tDURATION\tOUTCOME\t%s\n", axis(tl.Duration))
	for _, h := range tl.Hops {
		start, dur := "?", "?"
		if h.InJaeger {
			start, dur = "+"+round(h.Offset).String(), round(h.Duration).String()
		}
		fmt.Fprintf(tw, " %d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t|%s|\n", h.Index, kind(h), h.Step, h.Operation, h.Service,
			attempt(h), h.CorrelationID, start, dur, h.Outcome, Bar(h, tl.Duration, BarWidth))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(&b, "  %s step  %s compensation  %s failed attempt\n", glyphStep, glyphCompensation, glyphFailed)
	writeDetails(&b, tl)
	_, err := io.WriteString(w, b.String())
	return err
}

func writeDetails(b *strings.Builder, tl Timeline) {
	if hasErrors(tl) {
		b.WriteString("\nWhat went wrong\n")
		for _, h := range tl.Hops {
			if h.Error != "" {
				fmt.Fprintf(b, "  #%d %s (%s): %s\n", h.Index, h.Operation, h.Outcome, h.Error)
			}
		}
	}
	if len(tl.Signals) > 0 {
		b.WriteString("\nSignals\n")
		for _, s := range tl.Signals {
			fmt.Fprintf(b, "  +%s  %s\n", round(s.Offset), s.Name)
		}
	}
	b.WriteString("\nTraces in Jaeger (JSON API; in Jaeger's UI: /trace/<id>)\n")
	if o := tl.Orchestration; o != nil {
		fmt.Fprintf(b, "  saga  %s  (%s, %s)\n", o.JaegerAPIURL, o.Operation, o.Service)
	}
	for _, h := range tl.Hops {
		fmt.Fprintf(b, "  #%-3d  %s\n", h.Index, h.JaegerAPIURL)
	}
	for _, o := range tl.Other {
		fmt.Fprintf(b, "  also  %s  (%s, %s)\n", o.JaegerAPIURL, o.Operation, o.Service)
	}
	if len(tl.Notes) > 0 {
		b.WriteString("\nNotes\n")
		for _, n := range tl.Notes {
			fmt.Fprintf(b, "  - %s\n", n)
		}
	}
}

func hasErrors(tl Timeline) bool {
	for _, h := range tl.Hops {
		if h.Error != "" {
			return true
		}
	}
	return false
}

// Bar draws h on a waterfall of width characters spanning total: blank
// before the hop's start, its glyph for its duration (at least one).
func Bar(h Hop, total time.Duration, width int) string {
	if !h.InJaeger || total <= 0 {
		return strings.Repeat(" ", width)
	}
	from := int(math.Floor(float64(h.Offset) / float64(total) * float64(width)))
	n := int(math.Round(float64(h.Duration) / float64(total) * float64(width)))
	from = min(max(from, 0), width-1)
	n = min(max(n, 1), width-from)
	glyph := glyphStep
	switch {
	case h.Outcome != OutcomeOK:
		glyph = glyphFailed
	case h.Compensation:
		glyph = glyphCompensation
	}
	return strings.Repeat(" ", from) + strings.Repeat(glyph, n) + strings.Repeat(" ", width-from-n)
}

// axis labels the waterfall's column: 0 on the left, the saga's duration
// on the right.
func axis(total time.Duration) string {
	right := round(total).String()
	return "|0" + strings.Repeat(" ", max(BarWidth-1-len(right), 1)) + right + "|"
}

func kind(h Hop) string {
	if h.Compensation {
		return "compensation"
	}
	return "step"
}

func attempt(h Hop) string {
	if h.Attempt == 0 {
		return "?"
	}
	return fmt.Sprint(h.Attempt)
}

// round keeps durations readable: milliseconds below a minute.
func round(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(100 * time.Microsecond)
	}
	return d.Round(time.Millisecond)
}

// String renders the amount in major units without floating point.
func (a Amount) String() string {
	sign := ""
	c := a.Cents
	if c < 0 {
		sign, c = "-", -c
	}
	return fmt.Sprintf("%s%d.%02d %s", sign, c/100, c%100, a.Currency)
}
