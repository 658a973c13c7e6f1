package console

import (
	"cmp"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sagatrace/sagatrace/internal/auth"
)

// Every route but the login page, the assets and the health checks needs
// a login: a browser is sent to the login page, any other client gets 401
// problem+json; a token without the console's scopes is refused.
func TestConsoleRefusesRequestsWithoutALogin(t *testing.T) {
	type login int
	const (
		none login = iota
		operator
		readOnly
		operateOnly // sagas:operate without console:read
		otherAudience
		expired
		tenYears
		bearerHeader // the operator's token in Authorization, no cookie
	)
	html := http.Header{"Accept": {"text/html,application/xhtml+xml"}}
	tests := []struct {
		name       string
		login      login
		method     string
		path       string
		header     http.Header
		wantStatus int
		wantType   string // Content-Type prefix
		wantHeader [2]string
		wantBody   string
		wantUpdate bool
	}{
		{name: "page_without_login_goes_to_the_login_page", login: none, method: "GET", path: "/sagas/d-comp?x=1", header: html,
			wantStatus: http.StatusSeeOther, wantHeader: [2]string{"Location", "/login?next=%2Fsagas%2Fd-comp%3Fx%3D1"}},
		{name: "curl_without_login_gets_401", login: none, method: "GET", path: "/sagas",
			wantStatus: http.StatusUnauthorized, wantType: "application/problem+json", wantBody: "missing-token",
			wantHeader: [2]string{"WWW-Authenticate", `Bearer realm="console", scope="console:read"`}},
		{name: "api_without_login_gets_401_even_from_a_browser", login: none, method: "GET", path: "/api/sagas/d-comp", header: html,
			wantStatus: http.StatusUnauthorized, wantType: "application/problem+json", wantBody: "missing-token"},
		{name: "action_without_login_gets_401", login: none, method: "POST", path: "/sagas/d-stuck/retry-compensation",
			wantStatus: http.StatusUnauthorized, wantType: "application/problem+json"},
		{name: "batch_without_login_gets_401", login: none, method: "POST", path: "/sagas/retry-parked",
			wantStatus: http.StatusUnauthorized, wantType: "application/problem+json"},
		{name: "scoring_api_without_login_gets_401", login: none, method: "GET", path: "/api/scoring",
			wantStatus: http.StatusUnauthorized, wantType: "application/problem+json"},
		{name: "operator_reads", login: operator, method: "GET", path: "/sagas", header: html, wantStatus: http.StatusOK, wantType: "text/html"},
		{name: "read_only_reads", login: readOnly, method: "GET", path: "/api/sagas/d-comp", wantStatus: http.StatusOK, wantType: "application/json"},
		{name: "read_only_cannot_retry", login: readOnly, method: "POST", path: "/sagas/d-stuck/retry-compensation", header: html,
			wantStatus: http.StatusForbidden, wantType: "text/html", wantBody: "lacks scope sagas:operate"},
		{name: "read_only_cannot_batch_retry", login: readOnly, method: "POST", path: "/sagas/retry-parked", header: html,
			wantStatus: http.StatusForbidden, wantBody: "lacks scope sagas:operate"},
		{name: "operate_without_read_is_refused", login: operateOnly, method: "GET", path: "/api/scoring",
			wantStatus: http.StatusForbidden, wantType: "application/problem+json", wantBody: "insufficient-scope"},
		{name: "operator_retries", login: operator, method: "POST", path: "/sagas/d-stuck/retry-compensation", header: html,
			wantStatus: http.StatusSeeOther, wantUpdate: true},
		{name: "a_token_for_another_service_is_refused", login: otherAudience, method: "GET", path: "/api/scoring",
			wantStatus: http.StatusUnauthorized, wantType: "application/problem+json", wantBody: "audience"},
		{name: "an_expired_session_goes_to_the_login_page", login: expired, method: "GET", path: "/sagas", header: html,
			wantStatus: http.StatusSeeOther, wantHeader: [2]string{"Location", "/login?next=%2Fsagas&session=ended"}},
		{name: "an_expired_token_gets_401", login: expired, method: "GET", path: "/api/scoring",
			wantStatus: http.StatusUnauthorized, wantBody: "token is expired"},
		{name: "a_ten_year_token_gets_401", login: tenYears, method: "GET", path: "/api/scoring",
			wantStatus: http.StatusUnauthorized, wantBody: "longer than the 24h0m0s"},
		{name: "a_bearer_header_works_for_scripts", login: bearerHeader, method: "GET", path: "/api/scoring",
			wantStatus: http.StatusOK, wantType: "application/json"},
		{name: "login_page_is_open", login: none, method: "GET", path: "/login", header: html, wantStatus: http.StatusOK, wantBody: `action="/login"`},
		{name: "assets_are_open", login: none, method: "GET", path: "/static/console.js", wantStatus: http.StatusOK},
		{name: "health_is_open", login: none, method: "GET", path: "/healthz", wantStatus: http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, "")
			g := operatorGrant
			header := http.Header{"Sec-Fetch-Site": {"same-origin"}}
			for k, v := range tt.header {
				header[k] = v
			}
			switch tt.login {
			case none:
				r.token = ""
			case readOnly:
				g.Scopes = []string{auth.ScopeConsoleRead}
				r.token = r.mint(t, g)
			case operateOnly:
				g.Scopes = []string{auth.ScopeSagasOperate}
				r.token = r.mint(t, g)
			case otherAudience:
				g.Audience = []string{"payment"}
				r.token = r.mint(t, g)
			case expired:
				tok, err := r.issuer.WithClock(func() time.Time { return time.Now().Add(-2 * time.Hour) }).Mint(g)
				if err != nil {
					t.Fatal(err)
				}
				r.token = tok
			case tenYears:
				g.TTL = 10 * 365 * 24 * time.Hour
				r.token = r.mint(t, g)
			case bearerHeader:
				header.Set("Authorization", "Bearer "+r.token)
				r.token = ""
			}
			resp, body := r.do(t, tt.method, tt.path, header)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.wantStatus, body)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, tt.wantType) {
				t.Errorf("Content-Type %q, want %q", ct, tt.wantType)
			}
			if tt.wantHeader[0] != "" && resp.Header.Get(tt.wantHeader[0]) != tt.wantHeader[1] {
				t.Errorf("%s = %q, want %q", tt.wantHeader[0], resp.Header.Get(tt.wantHeader[0]), tt.wantHeader[1])
			}
			if !strings.Contains(body, tt.wantBody) {
				t.Errorf("body lacks %q:\n%s", tt.wantBody, body)
			}
			if got := len(r.temporal.signals) > 0; got != tt.wantUpdate {
				t.Errorf("operator actions sent: %v, want any: %v", r.temporal.signals, tt.wantUpdate)
			}
			if tt.login == expired && tt.wantStatus == http.StatusSeeOther && !clearsSession(resp) {
				t.Error("an expired session's cookie is not cleared")
			}
		})
	}
}

func clearsSession(resp *http.Response) bool {
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookie && c.MaxAge < 0 {
			return true
		}
	}
	return false
}

// Logging in keeps a token that verifies and holds console:read in an
// HttpOnly, SameSite=Strict cookie that expires with the token, and goes
// on to the page asked for — never to another site.
func TestLogin(t *testing.T) {
	tests := []struct {
		name         string
		token        func(r *rig) string
		next         string
		site         string
		wantStatus   int
		wantLocation string
		wantBody     string
	}{
		{name: "a_valid_token_logs_in_and_goes_on", token: func(r *rig) string { return r.token }, next: "/sagas/d-comp",
			wantStatus: http.StatusSeeOther, wantLocation: "/sagas/d-comp"},
		{name: "next_to_another_site_goes_to_the_sagas", token: func(r *rig) string { return r.token }, next: "//evil.example/x",
			wantStatus: http.StatusSeeOther, wantLocation: "/sagas"},
		{name: "next_with_a_scheme_goes_to_the_sagas", token: func(r *rig) string { return r.token }, next: "https://evil.example/",
			wantStatus: http.StatusSeeOther, wantLocation: "/sagas"},
		{name: "a_forged_token_is_refused", token: func(r *rig) string { return r.token[:len(r.token)-4] + "AAAA" },
			wantStatus: http.StatusUnauthorized, wantBody: "signature is invalid"},
		{name: "an_empty_token_is_refused", token: func(*rig) string { return "" }, wantStatus: http.StatusUnauthorized, wantBody: "Paste a token"},
		{name: "a_token_without_console_read_is_refused", token: func(r *rig) string {
			g := operatorGrant
			g.Scopes = []string{auth.ScopeSagasOperate}
			tok, _ := r.issuer.Mint(g)
			return tok
		}, wantStatus: http.StatusForbidden, wantBody: "lacks scope console:read"},
		{name: "a_login_posted_from_another_site_is_refused", token: func(r *rig) string { return r.token }, site: "cross-site",
			wantStatus: http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, "")
			token := tt.token(r)
			r.token = ""
			resp, body := r.postForm(t, "/login", url.Values{"token": {token}, "next": {tt.next}}, cmp.Or(tt.site, "same-origin"))
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.wantStatus, body)
			}
			if !strings.Contains(body, tt.wantBody) {
				t.Errorf("body lacks %q:\n%s", tt.wantBody, body)
			}
			var session *http.Cookie
			for _, ck := range resp.Cookies() {
				if ck.Name == sessionCookie {
					session = ck
				}
			}
			if tt.wantStatus != http.StatusSeeOther {
				if session != nil {
					t.Errorf("a refused login sets a session cookie: %v", session)
				}
				return
			}
			if loc := resp.Header.Get("Location"); loc != tt.wantLocation {
				t.Errorf("Location %q, want %q", loc, tt.wantLocation)
			}
			if session == nil || session.Value != token || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Path != "/" {
				t.Fatalf("session cookie %+v, want the token, HttpOnly, SameSite=Strict, Path=/", session)
			}
			if d := time.Until(session.Expires); d < 55*time.Minute || d > 61*time.Minute {
				t.Errorf("session cookie expires in %s, want with the token (1 h)", d)
			}
			if session.Secure {
				t.Error("session cookie is Secure over plain HTTP: the browser would never send it back")
			}
			r.token = session.Value
			if resp, body := r.get(t, "/api/scoring"); resp.StatusCode != http.StatusOK {
				t.Errorf("with the session cookie: %d %s", resp.StatusCode, body)
			}
		})
	}
}

func TestLogoutClearsTheSession(t *testing.T) {
	r := newRig(t, "")
	resp, _ := r.do(t, http.MethodPost, "/logout", http.Header{"Sec-Fetch-Site": {"same-origin"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" || !clearsSession(resp) {
		t.Errorf("logout: %d to %q, clears the cookie: %v", resp.StatusCode, resp.Header.Get("Location"), clearsSession(resp))
	}
}

// A Host the console is not configured for is refused before anything
// else (DNS rebinding: another site's name resolved to the console).
func TestConsoleRefusesAForeignHost(t *testing.T) {
	tests := []struct {
		name       string
		host       string
		login      bool
		wantStatus int
	}{
		{"foreign_host_logged_in", "evil.example", true, http.StatusMisdirectedRequest},
		{"foreign_host_before_login", "evil.example:8080", false, http.StatusMisdirectedRequest},
		{"rebound_name_on_the_console_port", "attacker.test:8080", true, http.StatusMisdirectedRequest},
		{"allowed_name_any_port", "console.example:8443", true, http.StatusOK},
		{"allowed_name_and_port", "localhost:8080", true, http.StatusOK},
		{"allowed_name_other_port", "localhost:9999", true, http.StatusMisdirectedRequest},
		{"allowed_name_case_insensitive", "CONSOLE.example", true, http.StatusOK},
		{"allowed_host_without_login_still_needs_it", "console.example", false, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, "", "console.example", "localhost:8080")
			if !tt.login {
				r.token = ""
			}
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, r.srv.URL+"/api/scoring", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Host = tt.host
			if r.token != "" {
				req.AddCookie(&http.Cookie{Name: sessionCookie, Value: r.token})
			}
			resp, err := http.DefaultTransport.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			body := readAll(t, resp)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("Host %s: status %d, want %d: %s", tt.host, resp.StatusCode, tt.wantStatus, body)
			}
			if tt.wantStatus == http.StatusMisdirectedRequest && (!strings.Contains(body, "host-not-allowed") ||
				resp.Header.Get("Content-Type") != "application/problem+json") {
				t.Errorf("421 is not a problem naming host-not-allowed: %s", body)
			}
		})
	}
}

func TestLocalPath(t *testing.T) {
	for in, want := range map[string]string{
		"/sagas/d-1?x=1": "/sagas/d-1?x=1", "": "/sagas", "//evil": "/sagas", `/\evil`: "/sagas",
		"https://evil/": "/sagas", "sagas": "/sagas", "/a\r\nSet-Cookie: x": "/sagas", "javascript:alert(1)": "/sagas",
	} {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Resolving by hand needs sagas:operate and a reason; the saga records
// the logged-in subject and the reason.
func TestResolveCompensation(t *testing.T) {
	tests := []struct {
		name       string
		dtid       string
		reason     string
		scopes     []string
		wantStatus int
		wantSent   []string
	}{
		{"records_who_and_why", "d-stuck", "refunded in the dashboard", nil, http.StatusSeeOther,
			[]string{"resolve-compensation by alice → order-saga-d-stuck (refunded in the dashboard)"}},
		{"needs_a_reason", "d-stuck", "  ", nil, http.StatusBadRequest, nil},
		{"needs_sagas_operate", "d-stuck", "x", []string{auth.ScopeConsoleRead}, http.StatusForbidden, nil},
		{"only_a_parked_saga", "d-comp", "x", nil, http.StatusConflict, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, "")
			if tt.scopes != nil {
				g := operatorGrant
				g.Scopes = tt.scopes
				r.token = r.mint(t, g)
			}
			resp, body := r.postForm(t, "/sagas/"+tt.dtid+"/resolve-compensation", url.Values{"reason": {tt.reason}}, "same-origin")
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.wantStatus, body)
			}
			if fmt.Sprint(r.temporal.signals) != fmt.Sprint(tt.wantSent) {
				t.Errorf("sent %v, want %v", r.temporal.signals, tt.wantSent)
			}
			if tt.wantStatus == http.StatusSeeOther && resp.Header.Get("Location") != "/sagas/"+tt.dtid+"?resolved=1" {
				t.Errorf("redirect to %q", resp.Header.Get("Location"))
			}
		})
	}
}

// postForm posts form to path as a browser on site (Sec-Fetch-Site) does,
// with the rig's session cookie when it has one, following no redirect.
func (r *rig) postForm(t *testing.T, path string, form url.Values, site string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, r.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", site)
	if r.token != "" {
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: r.token})
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp, readAll(t, resp)
}
