package console

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"time"

	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/httpserver"
	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/jaegerquery"
	"github.com/sagatrace/sagatrace/internal/timeline"
)

// traceIDPattern is a trace ID as OpenTelemetry (32) or jaeger-client-go
// (16, or 128 bits without leading zeros) prints it.
var traceIDPattern = regexp.MustCompile(`^[0-9a-fA-F]{1,32}$`)

// backlinkWindow is how far around a trace the traces of its DTID are
// searched for backlinks: a saga may wait days for an operator.
const backlinkWindow = 30 * 24 * time.Hour

// showTrace draws one trace's spans as a waterfall: the console's own
// trace view, which works with any Jaeger, also one without its UI. The
// transaction's other traces (found by the trace's dtid) give its links a
// name and its spans their backlinks.
func (s *Server) showTrace(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("traceID")
	if !traceIDPattern.MatchString(id) {
		return httpserver.Invalid(httpapi.TypeInvalidField, "trace ID "+id+" is not a trace ID: 32 hex digits, as in a correlation ID")
	}
	tr, err := s.cfg.Sagas.Jaeger.Get(r.Context(), id)
	switch {
	case errors.Is(err, jaegerquery.ErrTraceNotFound):
		return httpserver.NotFound("unknown-trace", "Jaeger holds no trace "+id+" (spans arrive a moment after they end; past Jaeger's retention they are gone)")
	case err != nil:
		return asHTTPError(&timeline.SourceError{Source: "Jaeger", Err: err})
	}
	v := buildTraceView(tr, nil)
	if v.DTID != "" {
		related, err := s.relatedTraces(r.Context(), v.DTID, v.Start)
		if err != nil {
			v.Note = "The other traces of DTID " + v.DTID + " could not be read, so links are not named and backlinks are missing: " + err.Error()
		} else {
			v = buildTraceView(tr, related)
		}
	}
	if len(v.Spans) > 0 {
		v.Spans[0].Open = true // the root: what the trace is, at a glance
	}
	s.traceLinks(&v)
	return s.render(w, http.StatusOK, "trace", layoutData{Title: "Trace " + v.TraceID, Section: "sagas", Page: v})
}

// relatedTraces are the traces of dtid around at.
func (s *Server) relatedTraces(ctx context.Context, dtid string, at time.Time) ([]jaegerquery.Trace, error) {
	found, err := s.cfg.Sagas.Jaeger.FindAllByTag(ctx, ids.AttrDTID, dtid, at.Add(-backlinkWindow), s.cfg.Now().Add(time.Minute))
	if err != nil {
		return nil, err
	}
	out := make([]jaegerquery.Trace, 0, len(found))
	for _, t := range found {
		out = append(out, t)
	}
	return out, nil
}

// traceLinks sets the links of v to Jaeger: its API always, its UI when
// it serves one.
func (s *Server) traceLinks(v *traceView) {
	l := s.cfg.Sagas.Links
	v.JaegerAPIURL = jaegerquery.TraceAPIURL(l.JaegerURL, v.TraceID)
	if l.JaegerUI {
		v.JaegerUIURL = jaegerquery.TraceUIURL(l.JaegerURL, v.TraceID)
	}
}
