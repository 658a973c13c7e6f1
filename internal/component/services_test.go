package component

import (
	"slices"
	"testing"

	"github.com/sagatrace/sagatrace/internal/auth"
	"github.com/sagatrace/sagatrace/workflows"
)

// The service list and the saga's step table are written separately; this
// holds them to each other, so a step added to one is not forgotten in the
// other: every service a step calls is started, and its token registry
// knows every scope the worker asks for there.
func TestServicesCoverTheStepTable(t *testing.T) {
	seen := map[string]bool{}
	ports := map[int]bool{}
	for _, svc := range Services() {
		if svc.Name == "" || svc.Port <= 0 || svc.Collection == "" || svc.handler == nil || len(svc.Scopes) == 0 {
			t.Errorf("service %+v is incomplete", svc)
		}
		if seen[svc.Name] || ports[svc.Port] {
			t.Errorf("service %s or port %d listed twice", svc.Name, svc.Port)
		}
		seen[svc.Name], ports[svc.Port] = true, true
		if got, ok := ServiceNamed(svc.Name); !ok || got.Name != svc.Name {
			t.Errorf("ServiceNamed(%s) = %+v, %v", svc.Name, got, ok)
		}
	}
	registry := Registry()
	steps := workflows.OrderSagaSteps()
	for _, audience := range workflows.Audiences(steps) {
		if !seen[audience] {
			t.Errorf("the saga calls %s, which Services does not start", audience)
		}
		for _, scope := range workflows.WorkerScopes(steps, audience) {
			if !slices.Contains(registry[audience], scope) {
				t.Errorf("the worker asks %s for scope %s, which the registry does not know", audience, scope)
			}
		}
		if err := registry.Check(auth.Grant{Audience: []string{audience}, Scopes: append(workflows.WorkerScopes(steps, audience), auth.ScopeFaultsInject)}); err != nil {
			t.Errorf("the worker's token for %s: %v", audience, err)
		}
	}
	if _, ok := ServiceNamed("shipping"); ok {
		t.Error("ServiceNamed found a service that is not listed")
	}
}
