package console

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/sagatrace/sagatrace/internal/auth"
	"github.com/sagatrace/sagatrace/internal/jaegerquery"
	"github.com/sagatrace/sagatrace/internal/servicetest"
	"github.com/sagatrace/sagatrace/internal/timeline"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
	"github.com/sagatrace/sagatrace/workflows"
)

// Trace IDs of the compensated saga's hops.
const (
	chargeID = "0af7651916cd43dd8448eb211c80319c"
	createID = "1bf7651916cd43dd8448eb211c80319c"
	refundID = "2cf7651916cd43dd8448eb211c80319c"
)

// rig is a console over fakes: a compensated saga d-comp, a saga waiting
// for an operator d-stuck, and the services' rows of d-comp.
type rig struct {
	temporal *fakeTemporal
	srv      *httptest.Server
	issuer   *auth.Issuer
	// token is sent as the session cookie of every request; "" sends none.
	token string
}

// operatorGrant is the rig's default login: an operator, alice.
var operatorGrant = auth.Grant{Subject: "alice", Audience: []string{auth.AudienceConsole},
	Scopes: []string{auth.ScopeConsoleRead, auth.ScopeSagasOperate}, TTL: time.Hour}

// mint returns a token of the rig's issuer for g.
func (r *rig) mint(t *testing.T, g auth.Grant) string {
	t.Helper()
	tok, err := r.issuer.Mint(g)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func newRig(t *testing.T, jaegerURL string, allowedHosts ...string) *rig {
	t.Helper()
	ft := &fakeTemporal{sagas: []fakeSaga{
		{dtid: "d-comp", status: enumspb.WORKFLOW_EXECUTION_STATUS_FAILED, state: workflows.State{
			DTID: "d-comp", Step: "order", Status: workflows.StatusCompensated, Hops: []workflows.Hop{
				{Step: "payment", Operation: "payment.charge", CorrelationID: chargeID, Outcome: "ok"},
				{Step: "order", Operation: "order.create", CorrelationID: createID, Outcome: "error"},
				{Step: "payment", Operation: "payment.refund", Compensation: true, CorrelationID: refundID, Outcome: "ok"},
			}}},
		{dtid: "d-stuck", status: enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, state: workflows.State{
			DTID: "d-stuck", Step: "order", Status: workflows.StatusCompensationFailed}},
	}}
	if jaegerURL == "" {
		jaegerURL = fakeJaeger(t, map[string][]jaegerquery.Trace{"d-comp": {
			hopTrace(refundID, "payment.refund", true, 120*time.Millisecond, ""),
			hopTrace(chargeID, "payment.charge", false, 20*time.Millisecond, ""),
			hopTrace(createID, "order.create", false, 80*time.Millisecond, `order rejected <script>alert("x")</script>`),
		}}).URL
	}
	rows := fakeRows{payments: map[string][]paymentapi.Payment{"d-comp": {{PaymentID: "p-1", DTID: "d-comp", State: paymentapi.StateRefunded,
		History: []paymentapi.StateChange{{State: paymentapi.StateCompleted, CorrelationID: chargeID}, {State: paymentapi.StateRefunded, CorrelationID: refundID}}}}}}
	links := timeline.Links{JaegerURL: jaegerURL, TemporalUIURL: "http://temporal-ui", Namespace: "default"}
	scoring := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/metrics" {
			_, _ = io.WriteString(w, "# HELP scoring_partition_lag x\nscoring_partition_lag{partition=\"1\"} 7\nscoring_partition_lag{partition=\"0\"} 0\n")
			return
		}
		_, _ = io.WriteString(w, `{"items":[{"profile_id":"p-9","score":42,"events":3,"last_dtid":"d-comp"}]}`)
	}))
	t.Cleanup(scoring.Close)
	pub, priv, err := auth.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := auth.NewVerifier(auth.Config{Keys: auth.NewKeySet(pub)}, auth.AudienceConsole)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewServer(Config{
		Verifier: verifier, AllowedHosts: allowedHosts,
		Sagas: &timeline.Fetcher{Temporal: &timeline.Temporal{Client: ft, Namespace: "default"},
			Jaeger: &jaegerquery.Client{BaseURL: jaegerURL}, Links: links},
		Payments: fakePayments(rows), Orders: fakeOrders(rows),
		Scoring: &ScoringClient{BaseURL: scoring.URL, HTTP: scoring.Client()},
		Logger:  slog.New(slog.DiscardHandler),
		Now:     func() time.Time { return t0.Add(time.Second) },
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	r := &rig{temporal: ft, srv: srv, issuer: auth.NewIssuer(priv, "")}
	r.token = r.mint(t, operatorGrant)
	return r
}

func (r *rig) get(t *testing.T, path string) (*http.Response, string) {
	t.Helper()
	return r.do(t, http.MethodGet, path, nil)
}

func (r *rig) do(t *testing.T, method, path string, header http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, r.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if r.token != "" {
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: r.token})
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return servicetest.Do(t, c, req)
}

var hopRow = regexp.MustCompile(`<tr class="hop[^"]*"[^>]*data-operation="([^"]+)" data-trace-id="([^"]+)" data-outcome="([^"]+)" data-compensation="([^"]+)"`)

func TestSagaPageDrawsEveryHopInOrder(t *testing.T) {
	r := newRig(t, "")
	resp, body := r.get(t, "/sagas/d-comp")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	var got [][]string
	for _, m := range hopRow.FindAllStringSubmatch(body, -1) {
		got = append(got, m[1:])
	}
	want := [][]string{
		{"payment.charge", chargeID, "ok", "false"},
		{"order.create", createID, "error", "false"},
		{"payment.refund", refundID, "ok", "true"},
	}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("hops drawn %v, want %v", got, want)
	}
	for _, s := range []string{
		`id="saga-status">compensated<`, "12.99 USD", "/traces/" + refundID, "#3 payment.refund",
		"http://temporal-ui/namespaces/default/workflows/order-saga-d-comp/run-d-comp/history",
	} {
		if !strings.Contains(body, s) {
			t.Errorf("page lacks %q", s)
		}
	}
	if strings.Contains(body, `id="retry-compensation"`) {
		t.Error("a compensated saga offers retry-compensation")
	}
	if strings.Contains(body, "<script>alert") || !strings.Contains(body, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") {
		t.Error("a hop's error message is not escaped")
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("Content-Security-Policy = %q", csp)
	}
}

func TestRetryCompensation(t *testing.T) {
	tests := []struct {
		name        string
		dtid        string
		site        string // Sec-Fetch-Site, as a browser sends it
		wantStatus  int
		wantSignals []string
	}{
		{"retries_a_saga_waiting_for_an_operator_as_the_logged_in_subject", "d-stuck", "same-origin", http.StatusSeeOther,
			[]string{workflows.UpdateRetryCompensation + " by alice → order-saga-d-stuck"}},
		{"refuses_a_saga_that_is_not_waiting", "d-comp", "same-origin", http.StatusConflict, nil},
		{"refuses_an_unknown_saga", "d-none", "same-origin", http.StatusNotFound, nil},
		{"refuses_a_post_from_another_site", "d-stuck", "cross-site", http.StatusForbidden, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, "")
			resp, body := r.do(t, http.MethodPost, "/sagas/"+tt.dtid+"/retry-compensation", http.Header{"Sec-Fetch-Site": {tt.site}})
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.wantStatus, body)
			}
			if tt.wantStatus == http.StatusSeeOther && resp.Header.Get("Location") != "/sagas/"+tt.dtid+"?signalled=1" {
				t.Errorf("redirect to %q", resp.Header.Get("Location"))
			}
			if !slices.Equal(r.temporal.signals, tt.wantSignals) {
				t.Errorf("signals = %v, want %v", r.temporal.signals, tt.wantSignals)
			}
		})
	}
}

func TestStuckSagaPageOffersTheRetryButton(t *testing.T) {
	_, body := newRig(t, "").get(t, "/sagas/d-stuck")
	if !strings.Contains(body, `action="/sagas/d-stuck/retry-compensation"`) || !strings.Contains(body, `id="retry-compensation"`) {
		t.Errorf("no retry-compensation form on a compensation_failed saga:\n%s", body)
	}
}

func TestErrorsAreHTMLPagesOrProblems(t *testing.T) {
	tests := []struct {
		name        string
		jaegerDown  bool
		path        string
		wantStatus  int
		wantType    string
		wantMention string
	}{
		{"unknown_dtid_page", false, "/sagas/d-none", http.StatusNotFound, "text/html", "unknown DTID d-none"},
		{"unknown_dtid_api", false, "/api/sagas/d-none", http.StatusNotFound, "application/problem+json", "unknown-dtid"},
		{"malformed_dtid", false, "/sagas/" + url.PathEscape(`x"><b>`), http.StatusBadRequest, "text/html", "may hold only"},
		{"bad_status_filter", false, "/sagas?status=Sleeping", http.StatusBadRequest, "text/html", "status must be"},
		{"bad_page_token", false, "/sagas?page=%21%21", http.StatusBadRequest, "text/html", "page link"},
		{"jaeger_down_page", true, "/sagas/d-comp", http.StatusServiceUnavailable, "text/html", "Jaeger at http://127.0.0.1:1 unreachable"},
		{"jaeger_down_api", true, "/api/sagas/d-comp", http.StatusServiceUnavailable, "application/problem+json", "Jaeger at http://127.0.0.1:1 unreachable"},
		{"no_such_page", false, "/nope", http.StatusNotFound, "text/html", "no page at /nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			jaeger := ""
			if tt.jaegerDown {
				jaeger = "http://127.0.0.1:1"
			}
			resp, body := newRig(t, jaeger).get(t, tt.path)
			if resp.StatusCode != tt.wantStatus || !strings.HasPrefix(resp.Header.Get("Content-Type"), tt.wantType) {
				t.Errorf("%d %s, want %d %s", resp.StatusCode, resp.Header.Get("Content-Type"), tt.wantStatus, tt.wantType)
			}
			if !strings.Contains(body, tt.wantMention) && !strings.Contains(body, strings.ReplaceAll(tt.wantMention, `"`, "&#34;")) {
				t.Errorf("body does not say %q:\n%s", tt.wantMention, body)
			}
			if strings.Contains(body, "<b>") {
				t.Error("user input echoed unescaped")
			}
		})
	}
}

func TestSagaListFiltersAndPages(t *testing.T) {
	r := newRig(t, "")
	r.temporal.nextToken = []byte{0xff, 0x01}
	resp, body := r.get(t, "/sagas?status=Failed&dtid=d-")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	wantQuery := `WorkflowType="OrderSaga" AND ExecutionStatus="Failed" AND DTID STARTS_WITH "d-"`
	if len(r.temporal.queries) == 0 || r.temporal.queries[0] != wantQuery {
		t.Errorf("visibility queries %q, want first %q", r.temporal.queries, wantQuery)
	}
	for _, s := range []string{`data-dtid="d-comp"`, `<span class="badge warn">compensated</span>`, "12.99 USD",
		`data-dtid="d-stuck"`, `<span class="badge bad">compensation_failed</span>`,
		`href="/sagas?dtid=d-&amp;page=_wE&amp;status=Failed"`} {
		if !strings.Contains(body, s) {
			t.Errorf("list lacks %q", s)
		}
	}
}

func TestScoringJSON(t *testing.T) {
	_, body := newRig(t, "").get(t, "/api/scoring")
	want := `{"leaderboard":[{"profile_id":"p-9","score":42,"events":3,"last_dtid":"d-comp","updated_at":"0001-01-01T00:00:00Z"}],"lag":[{"partition":0,"lag":0},{"partition":1,"lag":7}],"total_lag":7}`
	if strings.TrimSpace(body) != want {
		t.Errorf("/api/scoring = %s\nwant %s", body, want)
	}
}
