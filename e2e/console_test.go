package e2e

import (
	"bytes"
	"context"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// chromiumFlags run Debian's Chromium headless on a machine without a
// display, a sandbox or a network beyond loopback: without the
// background-networking flags it keeps dialling Google's hosts.
var chromiumFlags = []string{
	"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	"--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
}

// chromium returns the browser, or fails the test saying how to install
// it: a browser test that skips silently proves nothing.
func chromium(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium is not installed; the console's browser test needs Debian's chromium package: " +
			"`apt-get update && apt-get install -y chromium` (scripts/test.sh installs it when it is missing)")
	}
	return path
}

// browse runs headless Chromium with a fresh profile on url and returns
// what it printed (the DOM, with --dump-dom).
func browse(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	all := append(slices.Clone(chromiumFlags), "--user-data-dir="+t.TempDir())
	cmd := exec.CommandContext(ctx, chromium(t), append(all, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

func TestConsoleDrawsTheHopsOfACompensatedSagaInABrowser(t *testing.T) {
	chromium(t) // before the saga: fail fast, and say how to install it
	res := compensatedSaga(t)
	var cids []string
	for _, h := range res.Hops {
		cids = append(cids, h.CorrelationID)
	}
	tracesOf(t, res.DTID, cids...) // the page reads Jaeger once; make sure every hop is there
	page := "/sagas/" + res.DTID

	doc := parseHTML(t, browseLoggedIn(t, page, "--dump-dom"))
	hops := elements(doc, "tr", "hop")
	if len(hops) != len(res.Hops) {
		t.Fatalf("the page draws %d hops, want %d", len(hops), len(res.Hops))
	}
	wantOutcome := []string{"ok", "error", "ok"}
	for i, el := range hops {
		want := res.Hops[i]
		got := []string{attr(el, "data-operation"), attr(el, "data-trace-id"), attr(el, "data-outcome"), attr(el, "data-compensation")}
		wantAttrs := []string{want.Operation, want.CorrelationID, wantOutcome[i], boolString(want.Compensation)}
		if !slices.Equal(got, wantAttrs) {
			t.Errorf("hop %d drawn as %v, want %v", i+1, got, wantAttrs)
		}
		if len(elements(el, "rect", "")) != 1 {
			t.Errorf("hop %d has no bar on the waterfall", i+1)
		}
		if links := hrefs(el); !slices.ContainsFunc(links, func(h string) bool { return strings.HasSuffix(h, "/traces/"+want.CorrelationID) }) {
			t.Errorf("hop %d does not link its trace: %v", i+1, links)
		}
	}
	if got := text(findByID(doc, "saga-status")); got != "compensated" {
		t.Errorf("saga status shows %q, want compensated", got)
	}
	if rows := text(findByID(doc, "payments")); !strings.Contains(rows, "refunded") || !strings.Contains(rows, res.Hops[2].CorrelationID) {
		t.Errorf("payment rows lack the refund by hop %s:\n%s", res.Hops[2].CorrelationID, rows)
	}

	t.Run("the_list_finds_it_by_dtid", func(t *testing.T) {
		doc := parseHTML(t, browseLoggedIn(t, "/sagas?dtid="+res.DTID, "--dump-dom"))
		rows := elements(doc, "tr", "saga-row")
		if len(rows) != 1 || attr(rows[0], "data-dtid") != res.DTID || !strings.Contains(text(rows[0]), "compensated") {
			t.Errorf("list rows for dtid %s: %d, first %q", res.DTID, len(rows), text(firstOrNil(rows)))
		}
	})

	t.Run("screenshot", func(t *testing.T) { screenshot(t, page, "console-saga.png", "1280,900") })

	t.Run("scoring_page_refreshes_itself", func(t *testing.T) {
		// Virtual time lets the page's 3-second refresh run without waiting.
		doc := parseHTML(t, browseLoggedIn(t, "/scoring", "--virtual-time-budget=10000", "--dump-dom"))
		if findByID(doc, "leaderboard") == nil || findByID(doc, "lag") == nil {
			t.Fatal("scoring page lacks the leaderboard or the lag table")
		}
		if got := text(findByID(doc, "refreshed")); !strings.HasPrefix(got, "Last refreshed") {
			t.Errorf("the page did not refresh itself: %q", got)
		}
		if n := len(elements(findByID(doc, "lag"), "tr", "")); n < 2 {
			t.Errorf("lag table has %d rows, want one per partition", n-1)
		}
	})
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func parseHTML(t *testing.T, s string) *html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(s))
	if err != nil {
		t.Fatalf("parse DOM: %v", err)
	}
	return doc
}

// elements returns the descendants of n named tag that carry class (any
// class when class is "").
func elements(n *html.Node, tag, class string) []*html.Node {
	var out []*html.Node
	if n == nil {
		return nil
	}
	for d := range n.Descendants() {
		if d.Type == html.ElementNode && d.Data == tag && (class == "" || slices.Contains(strings.Fields(attr(d, "class")), class)) {
			out = append(out, d)
		}
	}
	return out
}

func findByID(n *html.Node, id string) *html.Node {
	for d := range n.Descendants() {
		if d.Type == html.ElementNode && attr(d, "id") == id {
			return d
		}
	}
	return nil
}

func attr(n *html.Node, key string) string {
	if n == nil {
		return ""
	}
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hrefs(n *html.Node) []string {
	var out []string
	for _, a := range elements(n, "a", "") {
		out = append(out, attr(a, "href"))
	}
	return out
}

func text(n *html.Node) string {
	if n == nil {
		return ""
	}
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

func firstOrNil(ns []*html.Node) *html.Node {
	if len(ns) == 0 {
		return nil
	}
	return ns[0]
}
