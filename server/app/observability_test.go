package app_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/switchboardhq/switchboard/server/app"
	"github.com/switchboardhq/switchboard/server/config"
	"github.com/switchboardhq/switchboard/server/metrics"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
)

var operationLabel = regexp.MustCompile(`^switchboard_graphql_operations_total\{[^}]*operation="([^"]*)"`)

// operationLabels scrapes /metrics and returns the operation label values.
func operationLabels(t *testing.T, srv *testkit.Server) map[string]bool {
	t.Helper()
	status, _, raw := httpGet(t, srv, "/metrics", nil)
	if status != http.StatusOK {
		t.Fatalf("/metrics: %d", status)
	}
	out := map[string]bool{}
	for _, line := range strings.Split(string(raw), "\n") {
		if m := operationLabel.FindStringSubmatch(line); m != nil {
			out[m[1]] = true
		}
	}
	return out
}

func randomName() string {
	const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	b := make([]byte, 12)
	for i := range b {
		b[i] = letters[rand.IntN(len(letters))]
	}
	return "Op" + string(b)
}

// Operation names come from clients: 1,000 different ones must not make
// 1,000 series, and callers without credentials make none at all.
func TestMetricsOperationLabelsStayBounded(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		tok := srv.UserToken(t, "metrics")

		send := func(n int, token string) []string {
			names := make([]string, n)
			for i := range names {
				names[i] = randomName()
			}
			var wg sync.WaitGroup
			work := make(chan string)
			for range 8 {
				wg.Go(func() {
					for name := range work {
						r := srv.GraphQL(t, token, "query "+name+" { __typename }", nil)
						if len(r.Errors) > 0 {
							t.Errorf("%s: %+v", name, r.Errors)
						}
					}
				})
			}
			for _, name := range names {
				work <- name
			}
			close(work)
			wg.Wait()
			return names
		}

		anonymous := send(50, "")
		labels := operationLabels(t, srv)
		for _, name := range anonymous {
			if labels[name] {
				t.Fatalf("an unauthenticated operation %q made a series of its own", name)
			}
		}
		if !labels[metrics.UnauthenticatedOperation] {
			t.Errorf("labels %v: unauthenticated operations are not counted", labels)
		}

		send(1000, tok)
		labels = operationLabels(t, srv)
		if len(labels) > metrics.MaxOperationNames+3 { // + other, unauthenticated, anonymous
			t.Errorf("%d operation labels after 1,000 names, want at most %d", len(labels), metrics.MaxOperationNames+3)
		}
		if !labels[metrics.OtherOperation] {
			t.Errorf("names past the cap are not counted as %q", metrics.OtherOperation)
		}
		// A name that already has its series keeps it after the cap.
		r := srv.GraphQL(t, tok, `query KnownLater { __typename }`, nil)
		if len(r.Errors) > 0 {
			t.Fatal(r.Errors)
		}
		if operationLabels(t, srv)["KnownLater"] {
			t.Errorf("a new name got a series past the cap")
		}
	})
}

func TestHealthChecksAnswerHEAD(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		for _, path := range []string{"/healthz", "/readyz"} {
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodHead, srv.URL+path, nil)
			status, h, body := httpDo(t, srv, req)
			if status != http.StatusOK || len(body) != 0 || h.Get("X-Request-Id") == "" {
				t.Errorf("HEAD %s: %d, body %q, headers %v; want 200 with no body", path, status, body, h)
			}
		}
	})
}

// syncBuffer collects the log lines of a server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestServeLogsOneLineAtShutdown(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		var logs syncBuffer
		cfg := config.Default()
		cfg.DataDir = t.TempDir()
		cfg.DatabaseURL = st.URL
		cfg.SecretKey = strings.Repeat("ab", 32)
		a, err := app.New(t.Context(), cfg, zerolog.New(&logs).Level(zerolog.InfoLevel), st)
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- a.Serve(ctx, ln) }()
		resp, err := http.Get(fmt.Sprintf("http://%s/healthz", ln.Addr()))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("Serve: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("Serve did not return after its context ended")
		}
		if n := strings.Count(logs.String(), `"message":"switchboard stopped"`); n != 1 {
			t.Errorf("%d shutdown lines, want 1; log:\n%s", n, logs.String())
		}
		if strings.Contains(logs.String(), `"path":"/healthz"`) {
			t.Errorf("a health check was logged at info level:\n%s", logs.String())
		}
	})
}
