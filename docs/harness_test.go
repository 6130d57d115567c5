package docs_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The README test is only as good as its harness: a block whose request the
// server rejects must fail it, unless the block is marked as showing an
// error on purpose, and skipped blocks must not run.
func TestHarnessFailsBlocksThatGetErrorAnswers(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s: %v", tool, err)
		}
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/graphql-error":
			w.Write([]byte(`{"errors":[{"message":"boom"}],"data":null}`))
		case "/likepion-error":
			w.Write([]byte(`{"success":false,"message":"lease is not held"}`))
		case "/sharingtools-error":
			w.Write([]byte(`{"result":0,"message":"Validation failed.","errors":{}}`))
		case "/status":
			http.Error(w, "gone", http.StatusGone)
		case "/metrics":
			w.Write([]byte("# HELP up\nup 1\n"))
		default:
			w.Write([]byte(`{"data":{"ok":true},"success":true,"result":1}`))
		}
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	tests := []struct {
		name   string
		readme string
		fail   bool
	}{
		{"success", "```sh\ncurl -s localhost:8080/ok\n```\n", false},
		{"not JSON", "```sh\ncurl -s localhost:8080/metrics\n```\n", false},
		{"GraphQL errors", "```sh\ncurl -s localhost:8080/graphql-error\n```\n", true},
		{"success false", "```sh\ncurl -s localhost:8080/likepion-error\n```\n", true},
		{"result 0", "```sh\ncurl -s localhost:8080/sharingtools-error\n```\n", true},
		{"HTTP status", "```sh\ncurl -s localhost:8080/status\n```\n", true},
		{"error in a substitution", "```sh\nX=$(curl -s localhost:8080/graphql-error | jq -r .data)\n```\n", true},
		{"unset variable", "```sh\necho \"$NOT_SET_BY_AN_EARLIER_BLOCK\"\n```\n", true},
		{"errors expected", "<!-- readme-test: errors-expected -->\n```sh\ncurl -s localhost:8080/graphql-error\n```\n", false},
		{"marker applies to one block", "<!-- readme-test: errors-expected -->\n```sh\ntrue\n```\n\n```sh\ncurl -s localhost:8080/graphql-error\n```\n", true},
		{"skipped", "<!-- readme-test: skip (why) -->\n```sh\nfalse\n```\n", false},
		{"other languages do not run", "```json\nfalse\n```\n```\nfalse\n```\n", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sh := exec.CommandContext(t.Context(), "bash", "-c", script(shellBlocks(t, []byte(tc.readme)), addr))
			out, err := sh.CombinedOutput()
			if (err != nil) != tc.fail {
				t.Fatalf("script failed: %v, want failure %v\n%s", err, tc.fail, out)
			}
		})
	}
}

// Two sections with one title share one anchor, so links reach only the
// first; it also is how a bad merge of the README shows.
func TestREADMEHeadingsAreUnique(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	inCode := false
	for n, line := range strings.Split(string(readme), "\n") {
		if strings.HasPrefix(line, "```") {
			inCode = !inCode
		}
		if inCode || !strings.HasPrefix(line, "#") {
			continue
		}
		if first, ok := seen[line]; ok {
			t.Errorf("README.md line %d repeats the heading %q of line %d", n+1, line, first)
		}
		seen[line] = n + 1
	}
}
