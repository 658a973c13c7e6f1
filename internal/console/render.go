package console

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"net/http"

	"github.com/sagatrace/sagatrace/internal/httpserver"
	"github.com/sagatrace/sagatrace/internal/timeline"
)

// pageNames are the templates, each rendered inside layout.html.
var pageNames = []string{"sagas", "saga", "scoring", "error", "trace", "login"}

func parsePages() (map[string]*template.Template, error) {
	pages := map[string]*template.Template{}
	for _, name := range pageNames {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/spans.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// layoutData is what layout.html needs around every page.
type layoutData struct {
	Title   string
	Section string // the navigation entry to highlight
	Page    any
}

// render executes a page into a buffer first, so a template failure
// becomes an error page instead of half a page.
func (s *Server) render(w http.ResponseWriter, status int, name string, data layoutData) error {
	var buf bytes.Buffer
	if err := s.pages[name].Execute(&buf, data); err != nil {
		return httpserver.Internal(fmt.Errorf("render %s: %w", name, err))
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w) // the status is sent; a failed write means the client left
	return nil
}

// page adapts a page handler: its error is answered as an HTML error page.
func (s *Server) page(h func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err == nil {
			return
		}
		e := asHTTPError(err)
		status := e.Kind.Status()
		detail := e.Msg
		if e.Kind == httpserver.KindInternal {
			detail = "Something went wrong inside the console; its log has the details."
			s.cfg.Logger.ErrorContext(r.Context(), "console page failed", "path", r.URL.Path, "error", err)
		}
		data := layoutData{Title: http.StatusText(status), Page: errorView{Status: status, Text: http.StatusText(status), Detail: detail}}
		if rerr := s.render(w, status, "error", data); rerr != nil {
			http.Error(w, detail, status) // the error page itself failed: plain text
		}
	})
}

// errorView is the error page.
type errorView struct {
	Status int
	Text   string
	Detail string
}

// asHTTPError maps what the console's sources fail with onto the problem
// kinds: an unknown DTID is a 404, a source that fails a 503 naming it.
func asHTTPError(err error) *httpserver.Error {
	var e *httpserver.Error
	var source *timeline.SourceError
	switch {
	case errors.As(err, &e):
		return e
	case errors.Is(err, timeline.ErrUnknownDTID):
		return httpserver.NotFound("unknown-dtid", err.Error())
	case errors.As(err, &source):
		return httpserver.Unavailable("source-unavailable", err.Error())
	}
	return httpserver.Internal(err)
}
