package console

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/httpserver"
	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/internal/operator"
	"github.com/sagatrace/sagatrace/internal/temporalclient"
	"github.com/sagatrace/sagatrace/internal/timeline"
	"github.com/sagatrace/sagatrace/services/order/orderapi"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
	"github.com/sagatrace/sagatrace/workflows"
)

// sagaView is the saga page.
type sagaView struct {
	TL        timeline.Timeline
	Hops      []hopView
	Ticks     []tick
	JaegerURL string
	// Rows are the payment and the order service's rows of the DTID.
	Rows []rowsView
	// Orchestration is the saga's own trace, drawn below the hops.
	Orchestration *traceView
	// JaegerUI is the Jaeger UI's base URL when it serves one, else "".
	JaegerUI string
	// CanRetry offers the retry-compensation button.
	CanRetry  bool
	Signalled bool
	Resolved  bool
}

// showSaga draws one DTID's timeline, its state and its service rows.
func (s *Server) showSaga(w http.ResponseWriter, r *http.Request) error {
	tl, err := s.timelineOf(r)
	if err != nil {
		return err
	}
	v := sagaView{TL: tl, Hops: hopViews(tl), Ticks: ticks(tl.Duration), JaegerURL: s.cfg.Sagas.Links.JaegerURL,
		CanRetry:  tl.Status == string(workflows.StatusCompensationFailed),
		Signalled: r.URL.Query().Get("signalled") == "1", Resolved: r.URL.Query().Get("resolved") == "1"}
	v.Orchestration = expandHops(v.Hops, tl)
	for i := range v.Hops {
		v.Hops[i].JaegerUI = jaegerUIHref(s.cfg.Sagas.Links, v.Hops[i].CorrelationID)
	}
	if s.cfg.Sagas.Links.JaegerUI {
		v.JaegerUI = s.cfg.Sagas.Links.JaegerURL
	}
	v.Rows = s.serviceRows(r.Context(), tl, hopIndex(tl))
	return s.render(w, http.StatusOK, "saga", layoutData{Title: "Saga " + tl.DTID, Section: "sagas", Page: v})
}

// serviceRows reads the DTID's payments and orders side by side; a
// service that does not answer is said on the page, not fatal to it.
// byCorrelation names the saga's hop that wrote an audit row.
func (s *Server) serviceRows(ctx context.Context, tl timeline.Timeline, byCorrelation map[string]string) []rowsView {
	payments := rowsView{ID: "payments", Title: "payment", None: "no payment for this DTID"}
	orders := rowsView{ID: "orders", Title: "order", None: "no order for this DTID"}
	if tl.Status == string(workflows.StatusCompensated) {
		orders.None += " (a refused order writes nothing)"
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		page, err := s.cfg.Payments.List(ctx, paymentapi.ListFilter{DTID: tl.DTID, Limit: 50})
		for _, p := range page.Items {
			payments.Entities = append(payments.Entities, entityOf(p.PaymentID, p.State, p.AmountCents, p.Currency, p.History, byCorrelation))
		}
		payments.setError(err)
	})
	wg.Go(func() {
		page, err := s.cfg.Orders.List(ctx, orderapi.ListFilter{DTID: tl.DTID, Limit: 50})
		for _, o := range page.Items {
			orders.Entities = append(orders.Entities, entityOf(o.OrderID, o.State, o.AmountCents, o.Currency, o.History, byCorrelation))
		}
		orders.setError(err)
	})
	wg.Wait()
	return []rowsView{payments, orders}
}

// retryCompensation retries the failing compensation of a saga waiting in
// compensation_failed, then shows its page again (POST-redirect-GET). The
// saga records the logged-in operator (the token's subject) as who acted,
// and the update carries the DTID in baggage, so the operator's action is
// a trace of the transaction too.
func (s *Server) retryCompensation(w http.ResponseWriter, r *http.Request) error {
	return s.actOnParked(w, r, workflows.UpdateRetryCompensation, "", "signalled")
}

// resolveCompensation marks the failing compensation of a parked saga as
// done by hand, with the operator's reason, and lets the saga go on.
func (s *Server) resolveCompensation(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxLoginForm)
	if err := r.ParseForm(); err != nil {
		return httpserver.Invalid(httpapi.TypeInvalidField, "the form could not be read: "+err.Error())
	}
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	if reason == "" {
		return httpserver.Invalid(httpapi.TypeInvalidField, "resolving by hand needs a reason: say what was done instead of the compensation")
	}
	return s.actOnParked(w, r, workflows.UpdateResolveCompensation, reason, "resolved")
}

// actOnParked sends update to the saga of the request's DTID if its
// saga_state says it is parked (409 otherwise), as the logged-in
// operator, and shows its page again with flag set (POST-redirect-GET).
func (s *Server) actOnParked(w http.ResponseWriter, r *http.Request, update, reason, flag string) error {
	dtid, err := dtidOf(r)
	if err != nil {
		return err
	}
	saga, err := s.cfg.Sagas.Temporal.Saga(r.Context(), dtid)
	switch {
	case errors.Is(err, timeline.ErrNoWorkflow):
		return httpserver.NotFound("unknown-dtid", "Temporal has no saga with DTID "+dtid)
	case err != nil:
		return err
	case saga.State == nil || saga.State.Status != workflows.StatusCompensationFailed:
		return httpserver.Conflict("not-waiting-for-operator", "saga "+dtid+" is not in compensation_failed: nothing to "+strings.TrimSuffix(update, "-compensation"))
	}
	if err := s.act(r.Context(), dtid, saga.WorkflowID, update, workflows.OperatorRequest{Operator: operatorName(r), Reason: reason}); err != nil {
		return err
	}
	http.Redirect(w, r, "/sagas/"+url.PathEscape(dtid)+"?"+flag+"=1", http.StatusSeeOther)
	return nil
}

// act sends an operator update (a retry to a saga an earlier build parked
// goes as the signal) with the DTID in baggage, and waits for the saga's
// answer.
func (s *Server) act(ctx context.Context, dtid, workflowID, update string, req workflows.OperatorRequest) error {
	ctx, err := temporalclient.WithDTIDBaggage(ctx, dtid)
	if err != nil {
		return httpserver.Internal(err)
	}
	out, err := operator.Act(ctx, s.cfg.Sagas.Temporal.Client, workflowID, update, req)
	if err != nil {
		return &timeline.SourceError{Source: "Temporal", Err: err}
	}
	s.cfg.Logger.InfoContext(ctx, "operator action", "action", update, "dtid", dtid, "workflow_id", workflowID,
		"operator", req.Operator, "reason", req.Reason, "by_signal", out.BySignal, "status", out.State.Status)
	return nil
}

// sagaJSON is the timeline as `sagatrace trace --json` prints it.
func (s *Server) sagaJSON(w http.ResponseWriter, r *http.Request) error {
	tl, err := s.timelineOf(r)
	if err != nil {
		return asHTTPError(err)
	}
	return httpserver.WriteJSON(w, http.StatusOK, tl)
}

// timelineOf reads the timeline of the request's DTID. It reads Jaeger
// once, without waiting for stragglers: a reload shows more.
func (s *Server) timelineOf(r *http.Request) (timeline.Timeline, error) {
	dtid, err := dtidOf(r)
	if err != nil {
		return timeline.Timeline{}, err
	}
	return s.cfg.Sagas.Fetch(r.Context(), dtid, 0)
}

func dtidOf(r *http.Request) (string, error) {
	dtid := r.PathValue("dtid")
	if err := ids.ValidateDTID(dtid); err != nil {
		return "", httpserver.Invalid(httpapi.TypeInvalidField, err.Error())
	}
	return dtid, nil
}
