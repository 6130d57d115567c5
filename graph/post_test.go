package graph

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// TestResponsesAreWrittenAsJSONMarshalWritesThem checks postJSON's writer
// against what gqlgen's transport writes (json.Marshal of the response).
func TestResponsesAreWrittenAsJSONMarshalWritesThem(t *testing.T) {
	for name, resp := range map[string]*graphql.Response{
		"data":               {Data: json.RawMessage(`{"accounts":{"edges":[{"node":{"id":"1","username":"ada \"x\" \u00e9"}}]}}`)},
		"empty extensions":   {Data: json.RawMessage(`{"a":1}`), Extensions: map[string]any{}},
		"html characters":    {Data: json.RawMessage(`{"a":"<b> & </b>"}`)},
		"line separator":     {Data: json.RawMessage("{\"a\":\"x\u2028y\"}")},
		"errors":             {Errors: gqlerror.List{{Message: "boom", Extensions: map[string]any{"code": "INTERNAL"}}}, Data: json.RawMessage(`null`)},
		"extensions":         {Data: json.RawMessage(`{"a":1}`), Extensions: map[string]any{"requestId": "r1"}},
		"nil":                nil,
		"data with no value": {},
	} {
		want, err := json.Marshal(resp)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var got bytes.Buffer
		writeResponse(&got, resp)
		if got.String() != string(want) {
			t.Errorf("%s: wrote %s, json.Marshal writes %s", name, got.String(), want)
		}
	}
}
