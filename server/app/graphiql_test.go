package app_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/switchboardhq/switchboard/server/config"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
)

// chromium finds Debian's chromium, which .ci/run installs. Without it the
// browser test skips, except under CI=true, where it must run.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no chromium on PATH under CI=true: .ci/run should have installed it (apt-get install chromium)")
	}
	t.Skip("no chromium on PATH: install Debian's chromium to run the GraphiQL browser test")
	return ""
}

// A real browser, cut off from everything but the server, loads GraphiQL,
// runs a query with an Authorization header and opens the docs panel (which
// needs the standard introspection query to pass).
func TestGraphiQLWorksOfflineInABrowser(t *testing.T) {
	t.Parallel()
	exe := chromium(t)
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		if st.URL != "" {
			// The page does not depend on the database; one browser run
			// is enough on this 2-core budget.
			t.Skip("GraphiQL is the same page on both backends; the browser runs on SQLite")
		}
		srv := testkit.StartServer(t, st)
		tok := srv.UserToken(t, "browser")

		opts := append(chromedp.DefaultExecAllocatorOptions[:0:0],
			chromedp.ExecPath(exe),
			chromedp.UserDataDir(t.TempDir()),
			chromedp.Flag("headless", true),
			chromedp.Flag("no-sandbox", true),
			chromedp.Flag("disable-gpu", true),
			chromedp.Flag("disable-quic", true),
			chromedp.Flag("no-first-run", true),
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true),
			chromedp.Flag("disable-dev-shm-usage", true),
			// No network: everything but loopback goes to a proxy that
			// does not exist, so a page loading a CDN would stay blank.
			chromedp.ProxyServer("http://127.0.0.1:9"),
		)
		allocCtx, cancelAlloc := chromedp.NewExecAllocator(t.Context(), opts...)
		defer cancelAlloc()
		ctx, cancel := chromedp.NewContext(allocCtx)
		defer cancel()
		ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
		defer cancelTimeout()

		var (
			mu   sync.Mutex
			urls []string
		)
		if err := chromedp.Listen(ctx, func(ev any) {
			if e, ok := ev.(*network.EventRequestWillBeSent); ok {
				mu.Lock()
				urls = append(urls, e.Request.URL)
				mu.Unlock()
			}
		}); err != nil {
			t.Fatalf("start the browser: %v", err)
		}

		page := srv.URL + "/?" + url.Values{
			"query":   {"query Who { viewer { user { username } } }"},
			"headers": {`{"Authorization": "Bearer ` + tok + `"}`},
		}.Encode()
		// textOf polls until the element's text satisfies cond and returns it.
		textOf := func(selector, cond string) chromedp.Action[string] {
			return chromedp.Poll[string](`(() => { const t = (document.querySelector('` + selector + `') || {}).innerText || ''; ` +
				`return (` + cond + `) ? t : false })()`)
		}
		if err := chromedp.Do(ctx,
			chromedp.Navigate(page),
			chromedp.WaitVisible(`.graphiql-execute-button`),
			chromedp.Click(`.graphiql-execute-button`),
		); err != nil {
			t.Fatalf("load GraphiQL and run the query: %v", err)
		}
		result, err := chromedp.Run(ctx, textOf(".result-window", `t.includes('"browser"') || t.includes('errors')`))
		if err != nil {
			t.Fatalf("wait for the result: %v", err)
		}
		if err := chromedp.Do(ctx, chromedp.Click(`button[aria-label="Show Documentation Explorer"]`)); err != nil {
			t.Fatalf("open the docs panel: %v", err)
		}
		docs, err := chromedp.Run(ctx, textOf(".graphiql-doc-explorer", `t.includes('Query')`))
		if err != nil {
			t.Fatalf("wait for the docs panel: %v", err)
		}
		if !strings.Contains(result, `"username": "browser"`) {
			t.Errorf("result pane %q: want the signed-in user, sent with the Authorization header", result)
		}
		if !strings.Contains(docs, "Root Types") || !strings.Contains(docs, "Query") {
			t.Errorf("docs panel %q: want the schema's root types", docs)
		}
		mu.Lock()
		defer mu.Unlock()
		t.Logf("result pane %q; docs panel %.80q; %d requests", result, docs, len(urls))
		if len(urls) < 4 {
			t.Errorf("the browser made %d requests (%v); want the page, its scripts and the queries", len(urls), urls)
		}
		for _, u := range urls {
			if !strings.HasPrefix(u, srv.URL+"/") && !strings.HasPrefix(u, "data:") {
				t.Errorf("the page asked for %s, outside the server", u)
			}
		}
	})
}

func TestGraphiQLIsOffInProductionUnlessEnabled(t *testing.T) {
	t.Parallel()
	on, off := true, false
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		for _, tc := range []struct {
			name    string
			opt     func(*config.Config)
			serving bool
		}{
			{"development", func(*config.Config) {}, true},
			{"development, turned off", func(c *config.Config) { c.GraphiQL = &off }, false},
			{"production", func(c *config.Config) { c.Env = "production" }, false},
			{"production, turned on", func(c *config.Config) { c.Env = "production"; c.GraphiQL = &on }, true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				srv := testkit.StartServer(t, st, tc.opt)
				status, h, body := httpGet(t, srv, "/", nil)
				asset, _, _ := httpGet(t, srv, "/graphiql/graphiql.min.js", nil)
				if !tc.serving {
					if status != http.StatusNotFound || asset != http.StatusNotFound {
						t.Errorf("GET /: %d, asset %d; want 404 for both", status, asset)
					}
					return
				}
				if status != http.StatusOK || !strings.Contains(string(body), "graphiql.min.js") || asset != http.StatusOK {
					t.Fatalf("GET /: %d %s, asset %d", status, body, asset)
				}
				if !strings.Contains(h.Get("Content-Security-Policy"), "connect-src 'self'") {
					t.Errorf("Content-Security-Policy %q", h.Get("Content-Security-Policy"))
				}
				for _, cdn := range []string{"http://", "https://", "//unpkg", "//cdn"} {
					if strings.Contains(string(body), cdn) {
						t.Errorf("the page refers to %s: %s", cdn, body)
					}
				}
			})
		}
	})
}
