package e2e

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/jaegerquery"
	"github.com/sagatrace/sagatrace/workflows"
)

// TestConsoleTraceViewInABrowser opens a compensated saga's charge hop in
// the console's own trace view, in headless Chromium: the hop's spans
// from both services, nested, and the refund that undid it as a backlink;
// then the saga page, where the refund names the charge it undoes.
func TestConsoleTraceViewInABrowser(t *testing.T) {
	chromium(t) // before the saga: fail fast, and say how to install it
	res, charge, refund := traceViewSaga(t)
	page := "/traces/" + charge.CorrelationID

	doc := parseHTML(t, browseLoggedIn(t, page, "--dump-dom"))
	spans := elements(doc, "details", "span")
	services := map[string]bool{}
	for _, s := range spans {
		services[attr(s, "data-service")] = true
		if len(elements(s, "rect", "")) != 1 {
			t.Errorf("span %s %s has no bar", attr(s, "data-service"), attr(s, "data-operation"))
		}
	}
	if len(spans) < 3 || !services["saga-worker"] || !services["payment"] {
		t.Errorf("the charge's trace shows %d spans of %v; want its hop, HTTP client and the payment service's spans", len(spans), services)
	}
	first := firstOrNil(spans)
	open := first != nil && slices.ContainsFunc(first.Attr, func(a html.Attribute) bool { return a.Key == "open" })
	if attr(first, "data-operation") != charge.Operation || !open {
		t.Errorf("first span %q (open %v), want the hop's root %s, unfolded", attr(first, "data-operation"), open, charge.Operation)
	}
	if !slices.ContainsFunc(elements(doc, "li", "backlink-compensates"), func(n *html.Node) bool {
		return slices.ContainsFunc(hrefs(n), func(h string) bool { return strings.HasPrefix(h, "/traces/"+refund.CorrelationID+"#span-") })
	}) {
		t.Errorf("the charge's root span shows no backlink from the refund's trace %s", refund.CorrelationID)
	}
	if got := attr(findByID(doc, "trace-dtid"), "href"); got != "/sagas/"+res.DTID {
		t.Errorf("the trace links its saga as %q", got)
	}

	t.Run("saga_page_names_what_the_refund_undoes", func(t *testing.T) {
		doc := parseHTML(t, browseLoggedIn(t, "/sagas/"+res.DTID, "--dump-dom"))
		undo := elements(doc, "a", "undoes")
		if len(undo) != 1 || attr(undo[0], "href") != "/traces/"+charge.CorrelationID || !strings.Contains(text(undo[0]), "payment.charge") {
			t.Errorf("undo links %d, first %q → %q; want one to the charge %s", len(undo), text(firstOrNil(undo)), attr(firstOrNil(undo), "href"), charge.CorrelationID)
		}
		if n := len(elements(doc, "tr", "hop-spans")); n != len(res.Hops) {
			t.Errorf("%d hops expand into spans, want %d", n, len(res.Hops))
		}
	})

	t.Run("screenshot", func(t *testing.T) { screenshot(t, page, "console-trace.png", "1280,860") })
}

// screenshot takes a picture of the console page at path, logged in, in Chromium and checks it is a PNG
// of 10 to 200 KB (the README's pictures stay small);
// SAGATRACE_UPDATE_SCREENSHOT=1 writes it to docs/name, for the README.
func screenshot(t *testing.T, path, name, size string) {
	t.Helper()
	shot := filepath.Join(t.TempDir(), name)
	if os.Getenv("SAGATRACE_UPDATE_SCREENSHOT") == "1" {
		shot, _ = filepath.Abs(filepath.Join("..", "docs", name))
	}
	browseLoggedIn(t, path, "--screenshot="+shot, "--window-size="+size)
	png, err := os.ReadFile(shot)
	if err != nil || len(png) < 10_000 || len(png) > 200_000 || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatalf("screenshot %s: %d bytes (want a PNG of 10–200 KB), err %v", shot, len(png), err)
	}
}

// traceViewSaga runs a compensated saga and waits until Jaeger holds the
// spans the trace view draws: the charge's trace with the payment
// service's spans, and the refund's with its link to the charge.
func traceViewSaga(t *testing.T) (res workflows.Result, charge, refund workflows.Hop) {
	t.Helper()
	res = compensatedSaga(t)
	charge, refund = res.Hops[0], res.Hops[2]
	tracesOf(t, res.DTID, charge.CorrelationID, res.Hops[1].CorrelationID, refund.CorrelationID)
	eventually(t, 30*time.Second, func() (bool, string) {
		ct, err1 := shared.jaeger.Get(t.Context(), charge.CorrelationID)
		rt, err2 := shared.jaeger.Get(t.Context(), refund.CorrelationID)
		if err1 != nil || err2 != nil {
			return false, fmt.Sprintf("traces: %v, %v", err1, err2)
		}
		root, _ := rt.Root()
		linked := slices.ContainsFunc(root.References, func(r jaegerquery.Reference) bool {
			return jaegerquery.NormalizeTraceID(r.TraceID) == charge.CorrelationID
		})
		return servicesOf(ct)["payment"] && linked && root.Tag(ids.AttrCompensates) == charge.CorrelationID,
			fmt.Sprintf("charge trace services %v; refund root links to the charge: %v", servicesOf(ct), linked)
	})
	return res, charge, refund
}
