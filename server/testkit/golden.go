package testkit

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// Golden fails t unless v, encoded as indented JSON (without HTML escaping,
// so the golden files read as the API writes them), equals
// testdata/<name>.json; with update it writes that file instead. The REST
// products' scenario tests normalise what they cannot predict before
// calling it.
func Golden(t testing.TB, name string, v any, update bool) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	got := buf.Bytes()
	file := filepath.Join("testdata", name+".json")
	if update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run the test with -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("answer differs from %s:\n got %s\nwant %s", file, got, want)
	}
}
