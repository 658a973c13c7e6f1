package jaegerquery

import "net/url"

// TraceAPIURL is where Jaeger's HTTP API serves one trace as JSON. It works
// with every Jaeger build, also the one built from the Go module proxy,
// whose UI is a placeholder page.
func TraceAPIURL(baseURL, traceID string) string {
	return baseURL + "/api/traces/" + url.PathEscape(traceID)
}

// TraceUIURL is the trace's page in Jaeger's UI (the official images ship
// the UI; see compose.yaml).
func TraceUIURL(baseURL, traceID string) string {
	return baseURL + "/trace/" + url.PathEscape(traceID)
}
