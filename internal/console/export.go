package console

import (
	"bytes"
	"net/http"

	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/httpserver"
	"github.com/sagatrace/sagatrace/internal/traceexport"
)

// exportSaga downloads every trace of a DTID as one file, as `sagatrace
// trace --export` writes it: ?format=jaeger (default) for Jaeger's UI,
// ?format=otlp for any OTLP collector.
func (s *Server) exportSaga(w http.ResponseWriter, r *http.Request) error {
	dtid, err := dtidOf(r)
	if err != nil {
		return err
	}
	format := traceexport.FormatJaeger
	if q := r.URL.Query().Get("format"); q != "" {
		if format, err = traceexport.ParseFormat(q); err != nil {
			return httpserver.Invalid(httpapi.TypeInvalidField, err.Error())
		}
	}
	tl, err := s.cfg.Sagas.Fetch(r.Context(), dtid, 0)
	if err != nil {
		return asHTTPError(err)
	}
	var buf bytes.Buffer
	if _, err := traceexport.Write(r.Context(), s.cfg.Sagas.Jaeger, tl.TraceIDs(), format, &buf); err != nil {
		return httpserver.Unavailable("source-unavailable", err.Error())
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	// The DTID passed ValidateDTID: no quote or control character to escape.
	h.Set("Content-Disposition", `attachment; filename="`+dtid+format.Ext()+`"`)
	w.WriteHeader(http.StatusOK)
	_, _ = buf.WriteTo(w) // the status is sent; a failed write means the client left
	return nil
}
