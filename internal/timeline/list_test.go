package timeline

import (
	"strings"
	"testing"
)

func TestVisibilityQuery(t *testing.T) {
	tests := []struct {
		name    string
		q       ListQuery
		want    string
		wantErr string
	}{
		{"all", ListQuery{}, `WorkflowType="OrderSaga"`, ""},
		{"status_and_prefix", ListQuery{Status: "Running", DTID: "0193"}, `WorkflowType="OrderSaga" AND ExecutionStatus="Running" AND DTID STARTS_WITH "0193"`, ""},
		{"unknown_status", ListQuery{Status: "Done"}, "", "not one of"},
		{"injection_attempt", ListQuery{DTID: `x" OR WorkflowType="y`}, "", "may hold only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := visibilityQuery(tt.q)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("visibilityQuery = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
