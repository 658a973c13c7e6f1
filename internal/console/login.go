package console

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sagatrace/sagatrace/internal/auth"
	"github.com/sagatrace/sagatrace/internal/httpserver"
)

// sessionCookie holds the token a person logged in with. The token itself
// is the session: the console keeps no state, a restart logs nobody out,
// and the session ends when the token expires.
const sessionCookie = "sagatrace_console"

// maxLoginForm bounds the login form: a token is well under 4 KiB.
const maxLoginForm = 16 << 10

// loginView is the login page.
type loginView struct {
	Next string
	// Problem says why the last attempt or the last session failed.
	Problem string
}

// requireLogin admits to next only a caller whose token — from the
// session cookie or an Authorization: Bearer header (scripts, curl) —
// verifies for the console and holds console:read; it puts the caller in
// the request's context for the actions (operator) to name.
func (s *Server) requireLogin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, fromCookie, err := s.caller(r)
		if err != nil {
			s.refuseLogin(w, r, fromCookie, err)
			return
		}
		if !c.Has(auth.ScopeConsoleRead) {
			s.refuse(w, r, httpserver.Forbidden(auth.TypeInsufficientScope, fmt.Sprintf(
				"the token of %s lacks scope %s, which the console needs: mint one with `sagatrace token --aud %s --scope %s`",
				c.Subject, auth.ScopeConsoleRead, auth.AudienceConsole, auth.ScopeConsoleRead)))
			return
		}
		next.ServeHTTP(w, r.WithContext(auth.WithCaller(r.Context(), c)))
	})
}

// errNoToken is a request that carries no token at all.
var errNoToken = errors.New("no token")

// caller verifies the request's token; fromCookie says the token came
// from the session cookie.
func (s *Server) caller(r *http.Request) (c auth.Caller, fromCookie bool, err error) {
	if s.cfg.AuthDisabled {
		return auth.Anonymous(), false, nil
	}
	token, ok := auth.BearerToken(r)
	if !ok {
		ck, err := r.Cookie(sessionCookie)
		if err != nil || ck.Value == "" {
			return auth.Caller{}, false, errNoToken
		}
		token, fromCookie = ck.Value, true
	}
	c, err = s.cfg.Verifier.Verify(token)
	return c, fromCookie, err
}

// refuseLogin answers a request without a valid token: a person's browser
// asking for a page goes to the login page (and back here after it); any
// other client gets 401 problem+json.
func (s *Server) refuseLogin(w http.ResponseWriter, r *http.Request, fromCookie bool, err error) {
	if fromCookie {
		clearSession(w, r)
	}
	if wantsPage(r) {
		q := url.Values{}
		if r.Method == http.MethodGet {
			q.Set("next", r.URL.RequestURI())
		}
		if fromCookie {
			q.Set("session", "ended")
		}
		http.Redirect(w, r, "/login?"+q.Encode(), http.StatusSeeOther)
		return
	}
	typ, detail := auth.TypeMissingToken, fmt.Sprintf(
		"the console needs a login: a token for audience %s with scope %s, in its session cookie (log in at /login) or an Authorization: Bearer header; `sagatrace token` mints one",
		auth.AudienceConsole, auth.ScopeConsoleRead)
	if !errors.Is(err, errNoToken) {
		typ, detail = auth.TypeInvalidToken, tokenReason(err)
	}
	w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm=%q, scope=%q`, auth.AudienceConsole, auth.ScopeConsoleRead))
	httpserver.WriteError(w, r, httpserver.Unauthenticated(typ, detail).Wrap(err))
}

// refuse answers e as an HTML page to a browser, problem+json otherwise.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, e *httpserver.Error) {
	if wantsPage(r) {
		s.page(func(http.ResponseWriter, *http.Request) error { return e }).ServeHTTP(w, r)
		return
	}
	httpserver.WriteError(w, r, e)
}

// wantsPage tells a browser navigating (Accept names text/html) from an
// API client; the JSON API under /api/ always answers problem+json.
func wantsPage(r *http.Request) bool {
	return !strings.HasPrefix(r.URL.Path, "/api/") && strings.Contains(r.Header.Get("Accept"), "text/html")
}

func tokenReason(err error) string {
	var te *auth.TokenError
	if errors.As(err, &te) {
		return te.Reason
	}
	return "token is invalid"
}

// operate admits to an operator action only a caller holding
// sagas:operate.
func (s *Server) operate(h func(http.ResponseWriter, *http.Request) error) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		c, _ := auth.CallerFrom(r.Context())
		if !c.Has(auth.ScopeSagasOperate) {
			return httpserver.Forbidden(auth.TypeInsufficientScope, fmt.Sprintf(
				"the token of %s lacks scope %s: operator actions need a token minted with --scope %s,%s",
				c.Subject, auth.ScopeSagasOperate, auth.ScopeConsoleRead, auth.ScopeSagasOperate))
		}
		return h(w, r)
	}
}

// operatorName is who acts, as the saga records it: the token's subject.
func operatorName(r *http.Request) string {
	c, _ := auth.CallerFrom(r.Context())
	return c.Subject
}

// showLogin is the login page. A login link carries the token in its
// fragment (/login#token=…), which browsers never send: console.js moves
// it into the form and posts it.
func (s *Server) showLogin(w http.ResponseWriter, r *http.Request) error {
	v := loginView{Next: localPath(r.URL.Query().Get("next"))}
	if r.URL.Query().Get("session") == "ended" {
		v.Problem = "Your session ended: its token expired or is no longer valid. Log in with a new one."
	}
	return s.render(w, http.StatusOK, "login", layoutData{Title: "Log in", Section: "login", Page: v})
}

// login checks the posted token and keeps it in the session cookie, for as
// long as the token lives: HttpOnly, so no script reads it; SameSite=Strict,
// so no other site's page sends it; Secure when served over TLS.
func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxLoginForm)
	if err := r.ParseForm(); err != nil {
		return httpserver.Invalid("invalid-form", "the login form could not be read: "+err.Error())
	}
	v := loginView{Next: localPath(r.PostFormValue("next"))}
	token := strings.TrimSpace(r.PostFormValue("token"))
	if s.cfg.AuthDisabled {
		http.Redirect(w, r, v.Next, http.StatusSeeOther)
		return nil
	}
	status := http.StatusOK
	c, err := s.cfg.Verifier.Verify(token)
	switch {
	case token == "":
		status, v.Problem = http.StatusUnauthorized, "Paste a token: `sagatrace token --aud console --scope console:read` mints one."
	case err != nil:
		status, v.Problem = http.StatusUnauthorized, "This token cannot log in: "+tokenReason(err)+"."
	case !c.Has(auth.ScopeConsoleRead):
		status, v.Problem = http.StatusForbidden, "This token (of "+c.Subject+") lacks scope console:read, which the console needs."
	}
	if v.Problem != "" {
		return s.render(w, status, "login", layoutData{Title: "Log in", Section: "login", Page: v})
	}
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: token, Path: "/", Expires: c.Expires,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
	s.cfg.Logger.InfoContext(r.Context(), "logged in to the console", "subject", c.Subject, "scopes", strings.Join(c.Scopes, " "), "expires", c.Expires.Format(time.RFC3339))
	http.Redirect(w, r, v.Next, http.StatusSeeOther)
	return nil
}

// logout forgets the session cookie. The token itself stays valid until
// it expires: whoever copied it can still use it, as with any bearer token.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	clearSession(w, r)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

func clearSession(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
}

// localPath returns p if it is a path of this console, else /sagas: the
// login page must not become a redirector to another site (//evil, /\evil,
// https://evil).
func localPath(p string) string {
	u, err := url.Parse(p)
	if err != nil || !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") ||
		u.Scheme != "" || u.Host != "" || strings.ContainsAny(p, "\r\n\t") {
		return "/sagas"
	}
	return p
}
