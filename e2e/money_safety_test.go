package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/sagatrace/sagatrace/internal/httpapi"
	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/services/payment/paymentapi"
)

// A charge that arrives after the saga refunded its DTID — here another
// caller's, with its own Idempotency-Key — is refused by the payment
// service and takes nothing; before the void it was charged and stayed
// completed.
func TestLateChargeAfterCompensationIsRefused(t *testing.T) {
	dtid := ids.NewDTID()
	in := sagaInput(dtid)
	in.Faults = map[string]string{"order.create": "error"}
	if _, err := runSaga(t, in); err == nil {
		t.Fatal("the saga completed; want it compensated by the refused order")
	}
	body, err := json.Marshal(paymentapi.ChargeRequest{DTID: dtid, CustomerID: in.CustomerID, AmountCents: in.AmountCents, Currency: in.Currency})
	if err != nil {
		t.Fatal(err)
	}
	base := shared.stack.Service(paymentapi.Audience).URL()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, base+"/v1/payments", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", "late-"+dtid)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	problem := httpapi.DecodeProblem(resp)
	if resp.StatusCode != http.StatusConflict || !strings.HasSuffix(problem.Type, httpapi.TypeDTIDVoided) {
		t.Fatalf("late charge: %d %s (%s), want 409 %s", resp.StatusCode, problem.Type, problem.Detail, httpapi.TypeDTIDVoided)
	}
	var page paymentapi.Page
	getJSON(t, base+"/v1/payments?dtid="+dtid, &page)
	if len(page.Items) != 1 || page.Items[0].State != paymentapi.StateRefunded {
		t.Fatalf("payments of the DTID = %+v, want the saga's one, refunded, and nothing else", page.Items)
	}
}
