package temporalclient

import (
	"context"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/sagatrace/sagatrace/internal/ids"
)

// EnsureDTIDSearchAttribute registers the DTID keyword search attribute when
// the cluster lacks it. It must run before a worker polls: a workflow that
// upserts an unregistered attribute fails its workflow tasks forever.
func EnsureDTIDSearchAttribute(ctx context.Context, c client.Client, namespace string) (added bool, err error) {
	list, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return false, fmt.Errorf("list search attributes of namespace %s: %w", namespace, err)
	}
	if t, ok := list.GetCustomAttributes()[ids.SearchAttributeDTID]; ok {
		if t != enumspb.INDEXED_VALUE_TYPE_KEYWORD {
			return false, fmt.Errorf("search attribute %s exists with type %s, sagatrace needs Keyword; remove it or use another namespace", ids.SearchAttributeDTID, t)
		}
		return false, nil
	}
	_, err = c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace:        namespace,
		SearchAttributes: map[string]enumspb.IndexedValueType{ids.SearchAttributeDTID: enumspb.INDEXED_VALUE_TYPE_KEYWORD},
	})
	if err != nil {
		return false, fmt.Errorf("add search attribute %s to namespace %s (needs operator rights; or run `temporal operator search-attribute create --name DTID --type Keyword`): %w", ids.SearchAttributeDTID, namespace, err)
	}
	return true, nil
}
