package sharingtools_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/ with the answers received")

// scenario is one request whose whole answer is compared with
// testdata/<name>.json, after the values a test cannot predict (ids and
// times) are replaced by placeholders. Each runs as its own user in its
// own workspace, so none depends on another.
type scenario struct {
	name         string
	method, path string
	body         string
	// key is the caller's: "member" (default), "admin" or "none".
	key string
	// prepare makes what the request needs and returns the path to use
	// ("" keeps path).
	prepare func(t *testing.T, f *fixture, key string, userID int) string
	status  int
}

// createCaption makes a caption and returns its path.
func createCaption(t *testing.T, f *fixture, key string, _ int) string {
	t.Helper()
	var c caption
	f.do(t, http.MethodPost, "/captions", key, `{"title":"Launch","caption":"{Hi|Hello} world"}`).want(t, http.StatusCreated).decode(t, &c)
	return fmt.Sprintf("/captions/%d", c.ID)
}

var scenarios = []scenario{
	{name: "wallet", method: http.MethodGet, path: "/wallet", status: http.StatusOK},
	{name: "wallet_transactions_empty", method: http.MethodGet, path: "/wallet/transactions", status: http.StatusOK},
	{name: "packages_empty", method: http.MethodGet, path: "/packages", status: http.StatusOK},
	{name: "subscription_none", method: http.MethodGet, path: "/user/subscription", status: http.StatusOK},
	{name: "statistics_empty", method: http.MethodGet, path: "/statistics", status: http.StatusOK},
	{name: "accounts_empty", method: http.MethodGet, path: "/accounts?per_page=5", status: http.StatusOK},
	{name: "caption_create", method: http.MethodPost, path: "/captions", body: `{"title":"Launch","caption":"{Hi|Hello} world"}`, status: http.StatusCreated},
	{name: "caption_get", method: http.MethodGet, prepare: createCaption, status: http.StatusOK},
	{name: "caption_delete", method: http.MethodDelete, prepare: createCaption, status: http.StatusOK},
	{name: "captions_list", method: http.MethodGet, path: "/captions", status: http.StatusOK,
		prepare: func(t *testing.T, f *fixture, key string, id int) string { createCaption(t, f, key, id); return "" }},
	{name: "caption_not_found", method: http.MethodGet, path: "/captions/999999999", status: http.StatusNotFound},
	{name: "caption_invalid", method: http.MethodPost, path: "/captions", body: `{"title":""}`, status: http.StatusUnprocessableEntity},
	{name: "page_invalid", method: http.MethodGet, path: "/captions?per_page=1000", status: http.StatusUnprocessableEntity},
	{name: "body_not_json", method: http.MethodPost, path: "/captions", body: `[1]`, status: http.StatusBadRequest},
	{name: "route_not_found", method: http.MethodGet, path: "/no-such-route", status: http.StatusNotFound},
	{name: "method_not_allowed", method: http.MethodDelete, path: "/wallet", status: http.StatusMethodNotAllowed},
	{name: "no_key", method: http.MethodGet, path: "/user", key: "none", status: http.StatusUnauthorized},
	{name: "admin_only", method: http.MethodGet, path: "/admin/stats", status: http.StatusForbidden},
	{name: "admin_keys", method: http.MethodGet, key: "admin", status: http.StatusOK,
		prepare: func(_ *testing.T, _ *fixture, _ string, id int) string {
			return fmt.Sprintf("/admin/keys?user_id=%d", id)
		}},
	{name: "plugin_unavailable", method: http.MethodGet, path: "/reactions/settings", status: http.StatusServiceUnavailable},
}

func TestAnswersMatchTheirGoldenFiles(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		f := &fixture{srv: srv}
		for i, sc := range scenarios {
			t.Run(sc.name, func(t *testing.T) {
				role := viewer.RoleMember
				if sc.key == "admin" {
					role = viewer.RoleAdmin
				}
				u := srv.CreateUser(t, fmt.Sprintf("golden%d", i), role, fmt.Sprintf("golden%d", i))
				key := srv.APIKey(t, u, viewer.ScopeAPI)
				path := sc.path
				if sc.prepare != nil {
					if p := sc.prepare(t, f, key, u.ID); p != "" {
						path = p
					}
				}
				if sc.key == "none" {
					key = ""
				}
				r := f.do(t, sc.method, path, key, sc.body).want(t, sc.status)
				compareGolden(t, sc.name, r.Raw)
			})
		}
	})
}

// compareGolden compares raw, normalised and indented, with
// testdata/<name>.json, or writes it there under -update.
func compareGolden(t *testing.T, name string, raw []byte) {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("not JSON: %s", raw)
	}
	testkit.Golden(t, name, normalizeGolden("", v), *update)
}

var docTime = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$`)

// normalizeGolden replaces ids (numbers under keys named id or *_id) and
// the document's times with placeholders; everything else is kept.
func normalizeGolden(key string, v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalizeGolden(k, e)
		}
	case []any:
		for i, e := range x {
			x[i] = normalizeGolden(key, e)
		}
	case float64:
		if key == "id" || strings.HasSuffix(key, "_id") {
			return "<id>"
		}
	case string:
		if docTime.MatchString(x) {
			return "<time>"
		}
		if strings.HasPrefix(x, "sht_") {
			return "<key prefix>"
		}
		if key == "media_ids" {
			// Media library ids differ between backends; addresses stay.
			items := strings.Split(x, ",")
			for i, it := range items {
				if it != "" && strings.Trim(it, "0123456789") == "" {
					items[i] = "<id>"
				}
			}
			return strings.Join(items, ",")
		}
	}
	return v
}
