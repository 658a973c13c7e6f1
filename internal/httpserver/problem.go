package httpserver

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/sagatrace/sagatrace/internal/carddata"
	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/ids"
)

// WriteError answers err as a problem. An *Error anywhere in err's chain
// chooses status, type and detail; anything else is a 500 with a generic
// detail, because its text may hold internals. For 5xx the real error is
// recorded on the span and handed to the access log.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	kind, typ, detail := KindInternal, "", "internal error"
	var e *Error
	if errors.As(err, &e) {
		kind, typ = e.Kind, e.Type
		if kind != KindInternal {
			detail = e.Msg
		}
	}
	status := kind.Status()
	if status >= http.StatusInternalServerError {
		span := trace.SpanFromContext(r.Context())
		span.RecordError(err)
		span.SetStatus(codes.Error, detail)
		NoteError(r.Context(), err)
	}
	if kind == KindUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	ctx := r.Context()
	writeProblem(w, httpapi.Problem{
		Type:          typeURI(typ),
		Title:         title(typ, status),
		Status:        status,
		Detail:        detail,
		Instance:      r.URL.Path,
		DTID:          ids.DTIDFrom(ctx),
		CorrelationID: ids.CorrelationIDFrom(ctx),
	})
}

// writeProblem sends p, made safe first: it is the one place every problem
// passes, so no handler has to remember to redact what it quotes.
func writeProblem(w http.ResponseWriter, p httpapi.Problem) {
	p = safeProblem(p)
	w.Header().Set("Content-Type", httpapi.ContentTypeProblem)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(p.Status)
	// The status line is already sent; a failed write means the client left.
	_ = json.NewEncoder(w).Encode(p)
}

// safeProblem redacts every member of p a client's input can reach: the
// detail (a message may quote a refused value), the instance (the request
// path, which holds path IDs) and the dtid, which is sent only when it is a
// valid DTID — it comes from X-DTID or the body, and one refused there must
// not come back in the answer that refuses it.
func safeProblem(p httpapi.Problem) httpapi.Problem {
	p.Detail = carddata.Redact(p.Detail)
	p.Instance = carddata.Redact(p.Instance)
	if p.DTID != "" && ids.ValidateDTID(p.DTID) != nil {
		p.DTID = ""
	}
	return p
}

func typeURI(slug string) string {
	if slug == "" {
		return "about:blank"
	}
	return httpapi.ProblemTypeBase + slug
}

// title is stable per problem type, as RFC 9457 asks: the slug made
// readable ("payment-declined" → "Payment declined"), or the status text
// for about:blank.
func title(slug string, status int) string {
	if slug == "" {
		return http.StatusText(status)
	}
	t := strings.ReplaceAll(slug, "-", " ")
	return strings.ToUpper(t[:1]) + t[1:]
}
