package e2e

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sagatrace/sagatrace/internal/servicetest"
)

// devRun is one `sagatrace dev` process, started as a user would.
type devRun struct {
	cmd          *exec.Cmd
	temporalAddr string
	paymentURL   string // base URL
	keyFile      string // the issuer key the banner names
	loginURL     string // the console login link the banner prints
}

var (
	temporalLine = regexp.MustCompile(`Temporal\s+(127\.0\.0\.1:\d+)`)
	paymentLine  = regexp.MustCompile(`payment\s+(http://127\.0\.0\.1:\d+)/v1/payments`)
	keyLine      = regexp.MustCompile(`auth key\s+(\S+)`)
	loginLine    = regexp.MustCompile(`log in\s+(http://127\.0\.0\.1:\d+/login#token=\S+)`)
	portFlagLine = regexp.MustCompile(`(?m)^\s+-([a-z-]+-port) int$`)
)

// startDev runs the built binary with every port free and waits for its
// banner.
func startDev(t *testing.T, bin, dataDir string) *devRun {
	t.Helper()
	args := []string{"dev", "--data-dir", dataDir}
	for _, p := range devPortFlags(t, bin) {
		args = append(args, "--"+p, "0")
	}
	cmd := exec.Command(bin, args...)
	var stderr servicetest.LockedBuffer
	cmd.Stderr = &stderr
	lines := servicetest.StartLines(t, cmd)
	ready := make(chan string, 1)
	go func() {
		var banner strings.Builder
		for line := range lines { // to the end, so that dev never waits on a full pipe
			banner.WriteString(line + "\n")
			if strings.Contains(line, "Press Ctrl-C") {
				ready <- banner.String()
			}
		}
	}()
	select {
	case banner := <-ready:
		m, p, k, l := temporalLine.FindStringSubmatch(banner), paymentLine.FindStringSubmatch(banner), keyLine.FindStringSubmatch(banner), loginLine.FindStringSubmatch(banner)
		if m == nil || p == nil || k == nil || l == nil {
			t.Fatalf("banner lacks the Temporal address, the payment URL, the auth key or the console login link:\n%s", banner)
		}
		return &devRun{cmd: cmd, temporalAddr: m[1], paymentURL: p[1], keyFile: k[1], loginURL: l[1]}
	case <-time.After(2 * time.Minute):
		t.Fatalf("sagatrace dev printed no banner within 2 minutes; its stderr:\n%s", stderr.String())
	}
	return nil
}

// devPortFlags are the --*-port flags `sagatrace dev --help` lists: a
// list written here missed --codec-port, so the test's stack took the
// default 8084 and failed wherever another stack held it.
func devPortFlags(t *testing.T, bin string) []string {
	t.Helper()
	help, err := exec.CommandContext(t.Context(), bin, "dev", "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("sagatrace dev --help: %v\n%s", err, help)
	}
	var flags []string
	for _, m := range portFlagLine.FindAllStringSubmatch(string(help), -1) {
		flags = append(flags, m[1])
	}
	if len(flags) == 0 {
		t.Fatalf("sagatrace dev --help lists no --*-port flag:\n%s", help)
	}
	return flags
}

// interrupt sends Ctrl-C and requires the process to exit within 10 s
// without leaving a child behind.
func (d *devRun) interrupt(t *testing.T, dataDir string) {
	t.Helper()
	if err := d.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- d.cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("sagatrace dev exited with %v after Ctrl-C, want 0", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("sagatrace dev did not stop within 10 s of Ctrl-C")
	}
	if left := processesMentioning(t, dataDir); len(left) > 0 {
		t.Errorf("child processes left behind: %v", left)
	}
}

// processesMentioning lists the command lines that name dir: Temporal and
// Jaeger are started with their files in the data dir.
func processesMentioning(t *testing.T, dir string) []string {
	t.Helper()
	procs, err := filepath.Glob("/proc/[0-9]*/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // exited meanwhile
		}
		if cl := strings.ReplaceAll(string(b), "\x00", " "); strings.Contains(cl, dir) && !strings.Contains(cl, " dev --data-dir") {
			out = append(out, cl)
		}
	}
	return out
}

func TestDevStopsOnCtrlCAndKeepsSagasAcrossRestarts(t *testing.T) {
	bin := buildSagatrace(t)
	dataDir := t.TempDir()
	input := `{"customer_id":"c-1","profile_id":"p-dev","amount_cents":500,"currency":"EUR","items":[{"sku":"s","qty":1,"price_cents":500}]}`

	first := startDev(t, bin, dataDir)
	cli(t, "workflow", "execute", "--address", first.temporalAddr, "--task-queue", "sagas", "--type", "OrderSaga",
		"--workflow-id", "kept-across-restarts", "--input", input)
	// As the banner says: without a token the payment API answers 401
	// problem+json; with one from `sagatrace token` and the banner's key, 200.
	if status, ctype, body := curl(t, first.paymentURL+"/v1/payments?dtid=kept-across-restarts", ""); status != http.StatusUnauthorized ||
		ctype != "application/problem+json" || !strings.Contains(body, "missing-token") {
		t.Errorf("without a token: %d %s %s, want 401 problem+json missing-token", status, ctype, body)
	}
	token := sagatraceToken(t, bin, "--key", first.keyFile, "--aud", "payment", "--scope", "payments:read")
	if status, _, body := curl(t, first.paymentURL+"/v1/payments?dtid=kept-across-restarts", token); status != http.StatusOK ||
		!strings.Contains(body, `"state":"completed"`) {
		t.Errorf("with a token from sagatrace token: %d %s, want 200 with the saga's payment", status, body)
	}
	first.requireConsoleLogin(t, "kept-across-restarts")
	first.interrupt(t, dataDir)

	second := startDev(t, bin, dataDir)
	out := cli(t, "workflow", "describe", "--address", second.temporalAddr, "--workflow-id", "kept-across-restarts")
	if !strings.Contains(out, "COMPLETED") && !strings.Contains(out, "Completed") {
		t.Errorf("saga from the first run is not there after a restart:\n%s", out)
	}
	// The key is kept across restarts, so tokens minted before still work.
	if second.keyFile != first.keyFile {
		t.Errorf("auth key moved from %s to %s", first.keyFile, second.keyFile)
	}
	if status, _, body := curl(t, second.paymentURL+"/v1/payments?dtid=kept-across-restarts", token); status != http.StatusOK {
		t.Errorf("a token of the first run after a restart: %d %s, want 200", status, body)
	}
	second.interrupt(t, dataDir)
}

// requireConsoleLogin checks the console of a running `sagatrace dev`:
// refused without a login, and listing dtid once logged in as the banner
// says — its link's token posted to the login page, as the page's script
// does.
func (d *devRun) requireConsoleLogin(t *testing.T, dtid string) {
	t.Helper()
	base, token, _ := strings.Cut(d.loginURL, "/login#token=")
	if status, ctype, _ := curl(t, base+"/sagas", ""); status != http.StatusUnauthorized || ctype != "application/problem+json" {
		t.Errorf("the dev console without a login: %d %s, want 401 problem+json", status, ctype)
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Jar: jar, Timeout: 15 * time.Second}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, base+"/login",
		strings.NewReader(url.Values{"token": {token}, "next": {"/sagas?dtid=" + dtid}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if resp, body := servicetest.Do(t, c, req); resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/sagas" {
		t.Fatalf("login with the banner's link: %d at %s, want the list:\n%s", resp.StatusCode, resp.Request.URL, body)
	}
	// Visibility is eventually consistent: the saga may show a moment later.
	eventually(t, 30*time.Second, func() (bool, string) {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, base+"/sagas?dtid="+dtid, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, body := servicetest.Do(t, c, req) // with the session cookie
		return resp.StatusCode == http.StatusOK && strings.Contains(body, `data-dtid="`+dtid+`"`),
			"the logged-in list: " + resp.Status + " without " + dtid
	})
}

// curl GETs url as curl would, with "Authorization: Bearer token" when
// token is set, and returns the status, Content-Type and body.
func curl(t *testing.T, url, token string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, body := servicetest.Do(t, &http.Client{Timeout: 10 * time.Second}, req) // not the tests' operator client
	return resp.StatusCode, resp.Header.Get("Content-Type"), body
}

// sagatraceToken runs `sagatrace token` and returns the token it prints.
func sagatraceToken(t *testing.T, bin string, args ...string) string {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), bin, append([]string{"token"}, args...)...).Output()
	if err != nil {
		t.Fatalf("sagatrace token %s: %v", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out))
}

// cli runs the real temporal CLI, as a user would.
func cli(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, shared.tools.Temporal, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("temporal %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}
