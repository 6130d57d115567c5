package campaigns

import "testing"

// TestJSONColumnScansTextBytesAndNull reads a spam's payload as SQLite
// hands back text written as text, as ent's bytes, and NULL.
func TestJSONColumnScansTextBytesAndNull(t *testing.T) {
	for _, c := range []struct {
		name string
		in   any
		want string
	}{
		{"text", `{"content":"gm","customerId":"c1"}`, "c1"},
		{"bytes", []byte(`{"content":"gm","customerId":"c2"}`), "c2"},
		{"null", nil, ""},
	} {
		var col jsonColumn[PostPayload]
		if err := col.Scan(c.in); err != nil || col.V.CustomerID != c.want {
			t.Errorf("%s: %+v, %v; want customer %q", c.name, col.V, err, c.want)
		}
	}
	var col jsonColumn[PostPayload]
	if err := col.Scan(42); err == nil {
		t.Error("an integer scanned without error")
	}
}

func TestFailureSplitsTheReportedCodeFromItsMessage(t *testing.T) {
	for _, c := range []struct{ reason, code, message string }{
		{"TWEET_NOT_FOUND: the target tweet was deleted", "TWEET_NOT_FOUND", "the target tweet was deleted"},
		{"TWEET_NOT_FOUND", "TWEET_NOT_FOUND", ""},
		{"lease expired", "lease expired", "lease expired"},
		{"Rate limited: try later", "Rate limited: try later", "Rate limited: try later"},
		{"", "", ""},
	} {
		code, msg := Spam{Error: c.reason}.Failure()
		if code != c.code || msg != c.message {
			t.Errorf("%q: %q, %q; want %q, %q", c.reason, code, msg, c.code, c.message)
		}
	}
}
