package strictjson

import (
	"strings"
	"testing"
)

type target struct {
	DTID  string `json:"dtid"`
	Items []struct {
		Qty int `json:"qty"`
	} `json:"items"`
}

func TestUnmarshalIsStrictAndDescribed(t *testing.T) {
	tests := []struct {
		name string
		data string
		want string // part of Describe's wording; "" means accepted
	}{
		{name: "valid", data: `{"dtid":"d-1","items":[{"qty":1}]}`},
		{name: "duplicate", data: `{"dtid":"a","dtid":"b"}`, want: `field "dtid" appears more than once`},
		{name: "duplicate_nested", data: `{"items":[{"qty":1},{"qty":1,"qty":2}]}`, want: `field "items.qty" appears more than once`},
		{name: "upper_case", data: `{"DTID":"d-1"}`, want: `unknown field "DTID"`},
		{name: "title_case_nested", data: `{"items":[{"Qty":1}]}`, want: `unknown field "Qty" in "items"`},
		{name: "unknown", data: `{"card":"x"}`, want: `unknown field "card"`},
		{name: "two_values", data: `{} {}`, want: "must hold a single JSON value"},
		{name: "empty", data: ``, want: "is empty"},
		{name: "truncated", data: `{"dtid":"a"`, want: "truncated"},
		{name: "wrong_type", data: `{"items":[{"qty":"1"}]}`, want: `field "items.qty" must be an integer`},
		{name: "not_an_object", data: `[]`, want: "body must be an object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v target
			err := Unmarshal([]byte(tt.data), &v)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Unmarshal: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Unmarshal(%s) accepted it, want %q", tt.data, tt.want)
			}
			if got := Describe(err, "body"); !strings.Contains(got, tt.want) {
				t.Errorf("Describe = %q, want it to contain %q", got, tt.want)
			}
		})
	}
}
