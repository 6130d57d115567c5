package store

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestPostgresURLGetsBinaryParametersUnlessItSaysOtherwise(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"postgres://u@db:5432/sb", "postgres://u@db:5432/sb?binary_parameters=yes"},
		{"postgres://u@db/sb?sslmode=disable", "postgres://u@db/sb?sslmode=disable&binary_parameters=yes"},
		{"postgresql://u@db/sb?binary_parameters=no", "postgresql://u@db/sb?binary_parameters=no"},
	} {
		if got := withBinaryParameters(c.in); got != c.want {
			t.Errorf("withBinaryParameters(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// jsonb's binary format is not JSON text, so JSON must not reach lib/pq as
// bytes; bytea values must, and the caller's slice is left alone.
func TestJSONArgumentsGoAsTextAndBytesStayBytes(t *testing.T) {
	raw := json.RawMessage(`{"a":1}`)
	args := []any{raw, []byte{0, 1}, "s", 7}
	got := textArgs(args)
	want := []any{`{"a":1}`, []byte{0, 1}, "s", 7}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("textArgs = %#v, want %#v", got, want)
	}
	if _, still := args[0].(json.RawMessage); !still {
		t.Fatal("textArgs changed the caller's slice")
	}
}
