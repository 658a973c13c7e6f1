package timeline

import "time"

// The saga's clock: every offset counts from the workflow's start, and the
// waterfall spans the workflow's life, widened to every span seen.

// bounds is the saga's time span: the workflow's start to its close (or
// now), widened to every span seen, so no bar falls off the waterfall.
func bounds(src Sources, tl Timeline) (start, end time.Time) {
	widen := func(from, to time.Time) {
		if from.IsZero() {
			return
		}
		if start.IsZero() || from.Before(start) {
			start = from
		}
		if to.After(end) {
			end = to
		}
	}
	if s := src.Saga; s != nil {
		closed := s.Close
		if closed.IsZero() {
			closed = src.Now
		}
		widen(s.Start, closed)
	}
	for _, h := range tl.Hops {
		widen(h.Start, h.Start.Add(h.Duration))
	}
	if o := tl.Orchestration; o != nil {
		widen(o.Start, o.Start)
	}
	if end.Before(start) {
		end = start
	}
	return start, end
}

// place sets every offset from the saga's start and numbers the hops.
func place(tl *Timeline) {
	for i := range tl.Hops {
		h := &tl.Hops[i]
		h.Index = i + 1
		h.DurationMS = ms(h.Duration)
		if h.InJaeger {
			h.Offset = h.Start.Sub(tl.Start)
			h.OffsetMS = ms(h.Offset)
		}
	}
	refs := make([]*TraceRef, 0, len(tl.Other)+1)
	for i := range tl.Other {
		refs = append(refs, &tl.Other[i])
	}
	if tl.Orchestration != nil {
		refs = append(refs, tl.Orchestration)
	}
	for _, r := range refs {
		r.Offset = r.Start.Sub(tl.Start)
		r.OffsetMS = ms(r.Offset)
	}
	for i := range tl.Signals {
		tl.Signals[i].Offset = tl.Signals[i].At.Sub(tl.Start)
		tl.Signals[i].OffsetMS = ms(tl.Signals[i].Offset)
	}
}
