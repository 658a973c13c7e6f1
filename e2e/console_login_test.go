package e2e

import (
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/servicetest"
)

// consoleToken is the token the stack logs its user in to the console
// with: the one in the login link `sagatrace dev` prints.
func consoleToken(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(shared.stack.ConsoleLoginFile)
	if err != nil {
		t.Fatalf("the stack's console login token: %v", err)
	}
	return strings.TrimSpace(string(b))
}

// consoleLoginURL is the login link `sagatrace dev` prints, going on to
// path once logged in.
func consoleLoginURL(t *testing.T, path string) string {
	t.Helper()
	return shared.stack.Console.URL() + "/login?next=" + url.QueryEscape(path) + "#token=" + consoleToken(t)
}

// browseLoggedIn runs the browser on the console's path as a person does:
// through the login link, whose page posts the token and goes on to path.
// Virtual time lets the login's post and redirect finish before the dump.
func browseLoggedIn(t *testing.T, path string, args ...string) string {
	t.Helper()
	if !slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "--virtual-time-budget") }) {
		args = append(args, "--virtual-time-budget=10000")
	}
	return browse(t, append(args, consoleLoginURL(t, path))...)
}

// consoleRequest sends method path to the dev console as a plain client
// (no redirects followed), with the session cookie when token is set.
func consoleRequest(t *testing.T, method, path, token string, header http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, shared.stack.Console.URL()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if h := header.Get("Host"); h != "" {
		req.Host = h
	}
	if token != "" {
		req.AddCookie(&http.Cookie{Name: "sagatrace_console", Value: token})
	}
	c := &http.Client{Timeout: 15 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return servicetest.Do(t, c, req)
}

// The dev console refuses whoever has not logged in, and a Host it does
// not answer to; logged in with the token sagatrace dev mints, it lists
// the sagas.
func TestDevConsoleNeedsALogin(t *testing.T) {
	dtid := ids.NewDTID()
	if _, err := runSaga(t, sagaInput(dtid)); err != nil {
		t.Fatalf("saga: %v", err)
	}
	html := http.Header{"Accept": {"text/html"}}
	refusals := []struct {
		name, method, path string
		header             http.Header
		token              string
		wantStatus         int
		wantType           string
		wantLocation       string
	}{
		{name: "list_without_login", method: "GET", path: "/sagas", wantStatus: http.StatusUnauthorized, wantType: "application/problem+json"},
		{name: "api_without_login", method: "GET", path: "/api/sagas/" + dtid, wantStatus: http.StatusUnauthorized, wantType: "application/problem+json"},
		{name: "batch_retry_without_login", method: "POST", path: "/sagas/retry-parked", header: http.Header{"Sec-Fetch-Site": {"same-origin"}},
			wantStatus: http.StatusUnauthorized, wantType: "application/problem+json"},
		{name: "browser_without_login", method: "GET", path: "/sagas", header: html, wantStatus: http.StatusSeeOther,
			wantLocation: "/login?next=%2Fsagas"},
		{name: "forged_token", method: "GET", path: "/sagas", token: "eyJhbGciOiJFZERTQSJ9.e30.AAAA", wantStatus: http.StatusUnauthorized},
		{name: "foreign_host_even_logged_in", method: "GET", path: "/sagas", header: http.Header{"Host": {"rebound.example:" + port(t)}},
			token: consoleToken(t), wantStatus: http.StatusMisdirectedRequest, wantType: "application/problem+json"},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := consoleRequest(t, tt.method, tt.path, tt.token, tt.header)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.wantStatus, body)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, tt.wantType) {
				t.Errorf("Content-Type %q, want %q", ct, tt.wantType)
			}
			if tt.wantLocation != "" && resp.Header.Get("Location") != tt.wantLocation {
				t.Errorf("Location %q, want %q", resp.Header.Get("Location"), tt.wantLocation)
			}
		})
	}

	t.Run("logged_in_lists_the_sagas", func(t *testing.T) {
		eventually(t, 30*time.Second, func() (bool, string) {
			resp, body := consoleRequest(t, "GET", "/sagas?dtid="+dtid, consoleToken(t), html)
			return resp.StatusCode == http.StatusOK && strings.Contains(body, `data-dtid="`+dtid+`"`),
				"the logged-in list: " + resp.Status + " without " + dtid
		})
	})
}

// port is the dev console's port.
func port(t *testing.T) string {
	t.Helper()
	u, err := url.Parse(shared.stack.Console.URL())
	if err != nil {
		t.Fatal(err)
	}
	return u.Port()
}
