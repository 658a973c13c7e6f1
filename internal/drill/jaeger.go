package drill

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/sagatrace/sagatrace/activities"
	"github.com/sagatrace/sagatrace/internal/ids"
	"github.com/sagatrace/sagatrace/workflows"
)

// spanEvents is the part of Jaeger's v1 trace JSON that holds span events:
// each is a "log" whose "event" field is the event's name. (jaegerquery's
// Span leaves logs out; only this check needs them.)
type spanEvents struct {
	Data []struct {
		Spans []struct {
			Logs []struct {
				Fields []struct {
					Key   string `json:"key"`
					Value any    `json:"value"`
				} `json:"fields"`
			} `json:"logs"`
		} `json:"spans"`
	} `json:"data"`
}

// parkedEvent reports whether the hop trace of a failed compensation carries the
// event that says the saga now waits for an operator.
func (d *driver) parkedEvent(ctx context.Context, hops []workflows.Hop) (bool, error) {
	for _, h := range hops {
		if !h.Compensation || h.Outcome != "error" || h.CorrelationID == "" {
			continue
		}
		found, err := d.traceHasEvent(ctx, h.CorrelationID, activities.EventCompensationParked)
		if err != nil || found {
			return found, err
		}
	}
	return false, nil
}

func (d *driver) traceHasEvent(ctx context.Context, traceID, event string) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.o.JaegerURL+"/api/traces/"+url.PathEscape(traceID), nil)
	if err != nil {
		return false, fmt.Errorf("jaeger: %w", err)
	}
	resp, err := d.http.Do(req)
	if err != nil {
		return false, fmt.Errorf("jaeger: trace %s: %w", traceID, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return false, nil
	}
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Errorf("jaeger: trace %s: %s", traceID, resp.Status)
	}
	var t spanEvents
	if err := json.NewDecoder(resp.Body).Decode(&t); err != nil {
		return false, fmt.Errorf("jaeger: decode trace %s: %w", traceID, err)
	}
	for _, tr := range t.Data {
		for _, s := range tr.Spans {
			for _, l := range s.Logs {
				for _, f := range l.Fields {
					if f.Key == "event" && f.Value == event {
						return true, nil
					}
				}
			}
		}
	}
	return false, nil
}

// traces returns the IDs of the traces Jaeger finds by the saga's DTID,
// polling until every correlation ID the ledger names is among them (or
// traceWait passes: Check then names what is missing).
func (d *driver) traces(ctx context.Context, l Ledger, since time.Time) (map[string]bool, error) {
	want := correlationIDs(l)
	deadline := time.Now().Add(traceWait)
	for {
		found, err := d.jaeger.FindAllByTag(ctx, ids.AttrDTID, l.DTID, since.Add(-time.Minute), time.Now().Add(time.Minute))
		if err != nil {
			return nil, fmt.Errorf("traces of dtid %s: %w", l.DTID, err)
		}
		got := make(map[string]bool, len(found))
		for id := range found {
			got[id] = true
		}
		missing := 0
		for _, id := range want {
			if !got[id] {
				missing++
			}
		}
		if missing == 0 || time.Now().After(deadline) {
			return got, nil
		}
		if err := pause(ctx, pollEvery); err != nil {
			return nil, err
		}
	}
}

// correlationIDs lists every correlation ID the ledger names: its hops'
// and its audit rows'.
func correlationIDs(l Ledger) []string {
	var out []string
	add := func(id string) {
		if id != "" {
			out = append(out, id)
		}
	}
	for _, h := range l.Hops {
		add(h.CorrelationID)
	}
	for _, p := range l.Payments {
		for _, c := range p.History {
			add(c.CorrelationID)
		}
	}
	for _, o := range l.Orders {
		for _, c := range o.History {
			add(c.CorrelationID)
		}
	}
	return out
}
