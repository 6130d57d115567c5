package docs_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/server/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// Markers, as HTML comments on the lines before a shell block (invisible
// when the README is rendered).
const (
	// skipMarker: the block is not run (a long-running server, the whole
	// test suite, a placeholder host). Say why beside it in the README.
	skipMarker = "<!-- readme-test: skip"
	// errorsMarker: the block shows an error answer on purpose.
	errorsMarker = "<!-- readme-test: errors-expected"
)

// documentedAddr is where the README says the server listens. The test's
// server listens on a free port instead (another server may hold 8080), and
// the blocks are run with this address replaced by the test server's: the
// one change made to them.
const documentedAddr = "localhost:8080"

type block struct {
	line          int // of the opening fence, 1-based
	code          string
	errorsAllowed bool
}

var fence = regexp.MustCompile("^```(\\w*)\\s*$")

// shellBlocks returns the README's ```sh blocks not marked skip.
func shellBlocks(t *testing.T, readme []byte) []block {
	t.Helper()
	var out []block
	var cur *block
	var lang string
	var markers []string
	sc := bufio.NewScanner(bytes.NewReader(readme))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if cur != nil || lang != "" {
			if strings.TrimSpace(line) == "```" {
				if cur != nil {
					out = append(out, *cur)
				}
				cur, lang, markers = nil, "", nil
				continue
			}
			if cur != nil {
				cur.code += line + "\n"
			}
			continue
		}
		if m := fence.FindStringSubmatch(line); m != nil {
			lang = "text"
			if m[1] == "sh" || m[1] == "bash" {
				lang = m[1]
				skip := false
				allow := false
				for _, mk := range markers {
					skip = skip || strings.HasPrefix(mk, skipMarker)
					allow = allow || strings.HasPrefix(mk, errorsMarker)
				}
				if !skip {
					cur = &block{line: n, errorsAllowed: allow}
				}
			}
			continue
		}
		switch trimmed := strings.TrimSpace(line); {
		case strings.HasPrefix(trimmed, "<!-- readme-test:"):
			markers = append(markers, trimmed)
		case trimmed != "":
			markers = nil // a marker belongs to the block right after it
		}
	}
	if cur != nil || lang != "" {
		t.Fatal("README.md ends inside a code block")
	}
	return out
}

// prelude runs before the blocks. Its curl fails a block on an HTTP error
// status or on an error answer (GraphQL errors, Likepion's
// "success":false, Sharingtools' "result":0) unless the block is marked
// errors-expected: without it, a README query the server rejects would
// still exit 0.
const prelude = `set -Eeuo pipefail
__readme_line=0
trap 'echo "readme-test: the block at README.md line $__readme_line failed (exit $?)" >&2' ERR
curl() {
	local out code
	out=$(command curl -sS -w '\n%{http_code}' "$@") || return
	code=${out##*$'\n'}
	out=${out%$'\n'*}
	printf '%s\n' "$out"
	if [[ -n ${README_ALLOW_ERRORS:-} ]]; then return 0; fi
	if (( code >= 400 )); then
		echo "readme-test: HTTP $code from curl $*" >&2
		return 1
	fi
	local ok=0
	printf '%s' "$out" | jq -e 'if type == "object" then (has("errors") | not) and .success != false and .result != 0 else true end' >/dev/null 2>&1 || ok=$?
	if (( ok == 1 )); then
		echo "readme-test: error answer from curl $*" >&2
		return 1
	fi
}
`

func script(blocks []block, addr string) string {
	var b strings.Builder
	b.WriteString(prelude)
	for _, bl := range blocks {
		// $SECONDS in the marker shows which block is slow when the test is.
		fmt.Fprintf(&b, "\n__readme_line=%d\necho \"### README.md line %d (at ${SECONDS}s)\" >&2\n", bl.line, bl.line)
		if bl.errorsAllowed {
			b.WriteString("README_ALLOW_ERRORS=1\n")
		}
		b.WriteString(strings.ReplaceAll(bl.code, documentedAddr, addr))
		if bl.errorsAllowed {
			b.WriteString("unset README_ALLOW_ERRORS\n")
		}
	}
	return b.String()
}

func TestREADMEShellBlocksRunInOrder(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" { // .ci/run installs them: a missing one must not pass as green
				t.Fatalf("the README's blocks need %s: %v", tool, err)
			}
			t.Skipf("the README's blocks need %s (.ci/run installs it): %v", tool, err)
		}
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := shellBlocks(t, readme)
	if len(blocks) < 10 {
		t.Fatalf("found %d runnable shell blocks in README.md; the parser or the markers are wrong", len(blocks))
	}
	bin := filepath.Join(t.TempDir(), "switchboard")
	build := exec.CommandContext(t.Context(), "go", "build", "-o", bin, "./server")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./server: %v\n%s", err, out)
	}
	for _, b := range testkit.Backends() {
		t.Run(string(b), func(t *testing.T) {
			t.Parallel() // each backend has its own server, data dir and database
			var databaseURL string
			if b == testkit.Postgres {
				databaseURL = testkit.PostgresURL(t) // empty: the server creates the schema, as for a newcomer
			}
			runREADME(t, root, bin, databaseURL, blocks)
		})
	}
}

// readmeTimeout bounds the server and the README's blocks together.
const readmeTimeout = 10 * time.Minute

func runREADME(t *testing.T, root, bin, databaseURL string, blocks []block) {
	dataDir := filepath.Join(t.TempDir(), "data")
	env := append(os.Environ(), "DATA_DIR="+dataDir, "DATABASE_URL="+databaseURL, "SWITCHBOARD_SECRET_KEY=", "ADDR=")
	addr := freeAddr(t)
	var serverLog bytes.Buffer
	// The blocks include `go run ./server` commands, which compile the
	// server: on a loaded machine two minutes once killed one mid-build.
	ctx, cancel := context.WithTimeout(t.Context(), readmeTimeout)
	defer cancel()
	srv := exec.CommandContext(ctx, bin, "serve", "--addr", addr)
	srv.Dir, srv.Env, srv.Stdout, srv.Stderr = root, env, &serverLog, &serverLog
	srv.Cancel = func() error { return srv.Process.Signal(os.Interrupt) }
	srv.WaitDelay = 20 * time.Second
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cancel()
		_ = srv.Wait()
		if t.Failed() {
			t.Logf("server log:\n%s", serverLog.String())
		}
	}()
	waitReady(t, "http://"+addr+"/readyz")

	sh := exec.CommandContext(ctx, "bash", "-c", script(blocks, addr))
	sh.Dir, sh.Env = root, env
	var out bytes.Buffer
	sh.Stdout, sh.Stderr = &out, &out
	start := time.Now()
	err := sh.Run()
	t.Logf("ran %d README blocks in %s", len(blocks), time.Since(start).Round(time.Millisecond))
	if err != nil {
		t.Fatalf("README.md blocks failed: %v\n%s", err, out.String())
	}
	if testing.Verbose() {
		t.Logf("output of the README's blocks:\n%s", out.String())
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitReady(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("the server did not become ready at %s", url)
}
