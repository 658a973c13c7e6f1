package temporalclient

import (
	"context"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/sagatrace/sagatrace/internal/ids"
)

// SearchAttributes are the keyword search attributes the saga writes: the
// DTID, set at start, and the saga's status, kept current.
func SearchAttributes() []string {
	return []string{ids.SearchAttributeDTID, ids.SearchAttributeSagaStatus}
}

// EnsureSearchAttributes registers the SearchAttributes the cluster lacks
// and returns those it added. It must run before a worker polls: a
// workflow that upserts an unregistered attribute fails its workflow
// tasks forever.
func EnsureSearchAttributes(ctx context.Context, c client.Client, namespace string) (added []string, err error) {
	list, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return nil, fmt.Errorf("list search attributes of namespace %s: %w", namespace, err)
	}
	missing := map[string]enumspb.IndexedValueType{}
	for _, name := range SearchAttributes() {
		t, ok := list.GetCustomAttributes()[name]
		switch {
		case !ok:
			missing[name] = enumspb.INDEXED_VALUE_TYPE_KEYWORD
			added = append(added, name)
		case t != enumspb.INDEXED_VALUE_TYPE_KEYWORD:
			return nil, fmt.Errorf("search attribute %s exists with type %s, sagatrace needs Keyword; remove it or use another namespace", name, t)
		}
	}
	if len(missing) == 0 {
		return nil, nil
	}
	_, err = c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace: namespace, SearchAttributes: missing,
	})
	if err != nil {
		return nil, fmt.Errorf("add search attributes %v to namespace %s (needs operator rights; or run `temporal operator search-attribute create --name <name> --type Keyword` for each): %w", added, namespace, err)
	}
	return added, nil
}
