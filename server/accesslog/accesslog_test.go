package accesslog_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/rs/zerolog"

	"github.com/switchboardhq/switchboard/server/accesslog"
	"github.com/switchboardhq/switchboard/server/requestid"
)

// lockedBuffer collects log lines written by the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.b.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

func TestEachRequestIsOneLineAtItsLevel(t *testing.T) {
	var buf lockedBuffer
	log := zerolog.New(&buf).Level(zerolog.DebugLevel)
	type observed struct {
		route, method string
		status        int
	}
	var (
		mu   sync.Mutex
		seen []observed
	)
	r := chi.NewRouter()
	r.Use(requestid.Middleware)
	r.Use(accesslog.Middleware(log, func(route, method string, status int, _ time.Duration) {
		mu.Lock()
		seen = append(seen, observed{route, method, status})
		mu.Unlock()
	}))
	status := func(code int) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(code) }
	}
	r.Get("/healthz", status(http.StatusOK))
	r.Get("/readyz", status(http.StatusServiceUnavailable))
	r.Get("/busy", status(http.StatusServiceUnavailable))
	r.Get("/broken", status(http.StatusInternalServerError))
	r.Get("/missing", status(http.StatusNotFound))
	r.Post("/query", func(w http.ResponseWriter, r *http.Request) {
		accesslog.SetOperation(r.Context(), "ListAccounts")
		w.WriteHeader(http.StatusOK)
	})
	srv := httptest.NewServer(r)
	defer srv.Close()

	for _, tc := range []struct {
		name, method, path, level, operation string
		status                               int
	}{
		{"a health check is debug", http.MethodGet, "/healthz", "debug", "", 200},
		{"a not-ready probe is debug", http.MethodGet, "/readyz", "debug", "", 503},
		{"a by-design 503 is a warning", http.MethodGet, "/busy", "warn", "", 503},
		{"a 500 is an error", http.MethodGet, "/broken", "error", "", 500},
		{"a 404 is info", http.MethodGet, "/missing", "info", "", 404},
		{"a GraphQL operation is named", http.MethodPost, "/query?key=secret", "info", "ListAccounts", 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(buf.lines(t))
			req, _ := http.NewRequestWithContext(t.Context(), tc.method, srv.URL+tc.path, nil)
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			lines := buf.lines(t)[before:]
			if len(lines) != 1 {
				t.Fatalf("%d lines, want 1: %v", len(lines), lines)
			}
			l := lines[0]
			if l["level"] != tc.level || int(l["status"].(float64)) != tc.status {
				t.Errorf("line %v: want level %s, status %d", l, tc.level, tc.status)
			}
			if _, ok := l["duration_ms"].(float64); !ok {
				t.Errorf("line %v has no duration_ms", l)
			}
			if l["request_id"] != resp.Header.Get("X-Request-Id") {
				t.Errorf("line %v: request_id differs from the header %q", l, resp.Header.Get("X-Request-Id"))
			}
			if got, _ := l["operation"].(string); got != tc.operation {
				t.Errorf("operation %q, want %q", got, tc.operation)
			}
			if strings.Contains(l["path"].(string), "secret") {
				t.Errorf("the query string was logged: %v", l)
			}
		})
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 6 || seen[5] != (observed{"/query", http.MethodPost, 200}) {
		t.Errorf("metrics observed %v, want each request once", seen)
	}
}
