package highlevel_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/server/config"
	"github.com/switchboardhq/switchboard/server/rest/highlevel"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
)

// The consent screens the test servers are configured with; youtube is
// left out (not configured).
const (
	facebookConsent = "https://www.facebook.com/v19.0/dialog/oauth?client_id=123&scope=pages_show_list"
	publicURL       = "https://switchboard.example.com"
)

func init() {
	serverOptions = append(serverOptions, func(c *config.Config) {
		c.PublicURL = publicURL
		c.OAuthAuthorize = map[string]string{
			"facebook": facebookConsent,
			"google":   "https://accounts.google.com/o/oauth2/v2/auth?client_id=g&scope=business.manage&access_type=offline",
		}
	})
}

// runE2E runs fn against one server per backend with two tenants.
func runE2E(t *testing.T, fn func(t *testing.T, tn, other *tenant)) {
	t.Helper()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st, serverOptions...)
		fn(t, newTenant(t, srv), newTenant(t, srv))
	})
}

// waitFor polls cond for up to 10 s: a worker's report lands
// asynchronously.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not met in 10 s")
}

// noRedirects is a client that shows redirects instead of following them.
func noRedirects() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// get sends a GET (path relative to the mount) with h and returns the
// status, headers and body, without following redirects.
func get(t *testing.T, srv *testkit.Server, path string, h http.Header) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+highlevel.Mount+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if h != nil {
		req.Header = h.Clone()
	}
	resp, err := noRedirects().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func TestOAuthStartRefusals(t *testing.T) {
	t.Parallel()
	get := http.MethodGet
	member := func(t *testing.T, tn, other *tenant) map[string]string {
		return map[string]string{"userId": tn.User.ObjectID, "otherUserId": other.User.ObjectID}
	}
	sc := func(name, path string, status int) scenario {
		return scenario{name: name, method: get, path: path, prepare: member, status: status}
	}
	runScenarios(t, []scenario{
		sc("oauth_start_bluesky", "/oauth/bluesky/start?locationId={locationId}&userId={userId}", 400),
		sc("oauth_start_unknown_platform", "/oauth/myspace/start?locationId={locationId}&userId={userId}", 400),
		sc("oauth_start_not_configured", "/oauth/youtube/start?locationId={locationId}&userId={userId}", 400),
		sc("oauth_start_no_user", "/oauth/facebook/start?locationId={locationId}", 422),
		sc("oauth_start_user_not_objectid", "/oauth/facebook/start?locationId={locationId}&userId=ada", 422),
		sc("oauth_start_user_of_other_location", "/oauth/facebook/start?locationId={locationId}&userId={otherUserId}", 404),
		sc("oauth_start_no_location", "/oauth/facebook/start?userId={userId}", 422),
		sc("oauth_start_other_location", "/oauth/facebook/start?locationId={otherLocationId}&userId={userId}", 404),
		{name: "oauth_start_no_version", method: get, path: "/oauth/facebook/start?locationId={locationId}&userId={userId}",
			prepare: member, auth: authNoVersion, status: 400},
		{name: "oauth_start_no_credential", method: get, path: "/oauth/facebook/start?locationId={locationId}&userId={userId}",
			prepare: member, auth: authNone, status: 401},
		sc("oauth_accounts_unknown", "/oauth/{locationId}/facebook/accounts/0123456789abcdef01234567", 404),
		sc("oauth_accounts_not_objectid", "/oauth/{locationId}/facebook/accounts/abc", 404),
		sc("oauth_accounts_other_location", "/oauth/{otherLocationId}/facebook/accounts/0123456789abcdef01234567", 404),
	})
}

var accountIDInPage = regexp.MustCompile(`"accountId":"([0-9a-f]{24})"`)

// connect runs steps 1 and the callback for platform in tn and returns the
// connection's accountId, checking the redirect and the closing page.
func connect(t *testing.T, tn *tenant, platform, consent string) string {
	t.Helper()
	status, h, body := get(t, tn.srv, "/oauth/"+platform+"/start?locationId="+tn.LocationID+"&userId="+tn.User.ObjectID+"&page=settings", tn.header())
	if status != http.StatusFound {
		t.Fatalf("start: %d %s", status, body)
	}
	to, err := url.Parse(h.Get("Location"))
	if err != nil || !strings.HasPrefix(to.String(), consent[:strings.Index(consent, "?")]) {
		t.Fatalf("redirected to %q", h.Get("Location"))
	}
	q := to.Query()
	if q.Get("redirect_uri") != publicURL+highlevel.Mount+"/oauth/callback" || len(q.Get("state")) != 64 || q.Get("response_type") != "code" {
		t.Fatalf("consent URL %s", to)
	}
	// The platform sends the browser back: no credential, no Version.
	status, h, body = get(t, tn.srv, "/oauth/callback?state="+q.Get("state")+"&code=code-"+platform, nil)
	if status != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/html") ||
		!strings.Contains(body, `"actionType":"close"`) || !strings.Contains(body, `"page":"social_media_posting"`) ||
		!strings.Contains(body, `"platform":"`+platform+`"`) || !strings.Contains(body, `"placement":"settings"`) ||
		!strings.Contains(body, `"reconnectAccounts":[]`) || !strings.Contains(body, "window.opener.postMessage") {
		t.Fatalf("closing page %d %s", status, body)
	}
	m := accountIDInPage.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no accountId in %s", body)
	}
	// The same state again is refused.
	if status, _, body = get(t, tn.srv, "/oauth/callback?state="+q.Get("state")+"&code=again", nil); status != http.StatusBadRequest ||
		!strings.Contains(body, "expired") {
		t.Fatalf("second callback %d %s", status, body)
	}
	return m[1]
}

// TestOAuthConnectEndToEnd: start → consent (the platform) → callback →
// the worker's exchange → list → attach, on Facebook and on Google by the
// SDK's path; the other location sees none of it.
func TestOAuthConnectEndToEnd(t *testing.T) {
	t.Parallel()
	runE2E(t, func(t *testing.T, tn, other *tenant) {
		tn.srv.RunWorker(t, tn.User, []string{"OAUTH_EXCHANGE"}, func(l testkit.WorkerLease) map[string]any {
			if l.Secrets["code"] != "code-"+l.Payload["platform"].(string) ||
				l.Payload["redirectUri"] != publicURL+highlevel.Mount+"/oauth/callback" {
				t.Errorf("exchange lease %+v", l)
			}
			if l.Payload["platform"] == "google" {
				return map[string]any{"accessToken": "g-token", "pages": []any{map[string]any{
					"originId": "locations/12345", "name": "Bakery Downtown",
					"location": map[string]any{"title": "Bakery Downtown", "storeCode": "S1", "isVerified": true},
					"account":  map[string]any{"name": "accounts/9", "accountName": "Bakery Co", "type": "LOCATION_GROUP"},
				}}}
			}
			return map[string]any{"accessToken": "fb-user-token", "expiresAt": "2027-01-01T00:00:00Z", "pages": []any{
				map[string]any{"originId": "111", "name": "Bakery Downtown", "avatar": "https://cdn.example.com/1.png", "isOwned": true, "accessToken": "fb-page-token"},
				map[string]any{"originId": "222", "name": "Bakery Uptown"},
			}}
		})
		fb := connect(t, tn, "facebook", facebookConsent)
		vars := map[string]string{"locationId": tn.LocationID, "accountId": fb}
		// Step 2 waits for the worker's exchange.
		r := tn.do(t, http.MethodGet, "/oauth/"+tn.LocationID+"/facebook/accounts/"+fb, "").want(t, 200)
		compareGolden(t, "oauth_facebook_accounts", r.Raw, vars)
		r = tn.do(t, http.MethodGet, "/oauth/"+tn.LocationID+"/facebook/accounts/"+fb+"?search=UPTOWN", "").want(t, 200)
		compareGolden(t, "oauth_facebook_accounts_search", r.Raw, vars)
		r = tn.do(t, http.MethodPost, "/oauth/"+tn.LocationID+"/facebook/accounts/"+fb, `{"type":"page","originId":"111","name":"Bakery Downtown"}`).want(t, 201)
		compareGolden(t, "oauth_facebook_attach", r.Raw, vars)
		r = tn.do(t, http.MethodPost, "/oauth/"+tn.LocationID+"/facebook/accounts/"+fb, `{"type":"page","originId":"999","name":"Not mine"}`).want(t, 400)
		compareGolden(t, "oauth_facebook_attach_unknown_page", r.Raw, vars)
		r = tn.do(t, http.MethodPost, "/oauth/"+tn.LocationID+"/facebook/accounts/"+fb, `{"type":"page"}`).want(t, 422)
		compareGolden(t, "oauth_facebook_attach_no_origin", r.Raw, vars)
		// Listed again, the attached page shows as connected.
		r = tn.do(t, http.MethodGet, "/oauth/"+tn.LocationID+"/facebook/accounts/"+fb, "").want(t, 200)
		compareGolden(t, "oauth_facebook_accounts_after_attach", r.Raw, vars)
		// The tokens never show: not in the task's stored result either.
		for _, tk := range tn.srv.App.Store.Client.Task.Query().AllX(tn.ctx(t)) {
			if b, _ := json.Marshal(tk.Result); strings.Contains(string(b), "fb-user-token") || strings.Contains(string(b), "fb-page-token") {
				t.Fatalf("task result keeps a token: %s", b)
			}
		}
		// Another location: not found, whether by its own path or ours.
		other.do(t, http.MethodGet, "/oauth/"+other.LocationID+"/facebook/accounts/"+fb, "").want(t, 404)
		other.do(t, http.MethodPost, "/oauth/"+other.LocationID+"/facebook/accounts/"+fb, `{"type":"page","originId":"222"}`).want(t, 404)
		other.do(t, http.MethodGet, "/oauth/"+tn.LocationID+"/facebook/accounts/"+fb, "").want(t, 404)
		// Google through the SDK's path.
		g := connect(t, tn, "google", "https://accounts.google.com/o/oauth2/v2/auth?")
		vars["googleAccountId"] = g
		r = tn.do(t, http.MethodGet, "/oauth/"+tn.LocationID+"/google/locations/"+g, "").want(t, 200)
		compareGolden(t, "oauth_google_locations", r.Raw, vars)
		r = tn.do(t, http.MethodPost, "/oauth/"+tn.LocationID+"/google/locations/"+g,
			`{"location":{"name":"locations/12345","title":"Bakery Downtown","storeCode":"S1","isVerified":"ChIJ"},
			  "account":{"name":"accounts/9","accountName":"Bakery Co","type":"LOCATION_GROUP","verificationState":"VERIFIED","vettedState":"VETTED"}}`).want(t, 201)
		compareGolden(t, "oauth_google_attach", r.Raw, vars)
		// The platform path works for Google too; another platform's path
		// does not find the connection.
		tn.do(t, http.MethodGet, "/oauth/"+tn.LocationID+"/google/accounts/"+g, "").want(t, 200)
		tn.do(t, http.MethodGet, "/oauth/"+tn.LocationID+"/linkedin/accounts/"+g, "").want(t, 404)
		if n := tn.srv.App.Store.Client.Account.Query().CountX(tn.ctx(t)); n != 2 {
			t.Fatalf("%d accounts after two attachments", n)
		}
		// The accounts route shows what the attachments stored: the
		// connection as oauthId, the page as profileId, its type and the
		// token's expiry (the Facebook exchange reported one, Google none).
		r = tn.do(t, http.MethodGet, "/"+tn.LocationID+"/accounts", "").want(t, 200)
		compareGolden(t, "oauth_accounts_after_attach", r.Raw, vars)
		var list struct{ Accounts []struct{ Expire string } }
		r.decode(t, &list)
		if as := list.Accounts; len(as) != 2 || as[0].Expire != "2027-01-01T00:00:00Z" {
			t.Fatalf("accounts %+v, want the Facebook page first, expiring 2027-01-01T00:00:00Z", as)
		}
	})
}

func TestOAuthRefusedConsent(t *testing.T) {
	t.Parallel()
	runE2E(t, func(t *testing.T, tn, other *tenant) {
		status, h, body := get(t, tn.srv, "/oauth/facebook/start?locationId="+tn.LocationID+"&userId="+tn.User.ObjectID, tn.header())
		if status != http.StatusFound {
			t.Fatalf("start: %d %s", status, body)
		}
		to, _ := url.Parse(h.Get("Location"))
		status, _, body = get(t, tn.srv, "/oauth/callback?state="+to.Query().Get("state")+"&error=access_denied", nil)
		if status != http.StatusOK || !strings.Contains(body, `"error":"access_denied"`) {
			t.Fatalf("refused consent page %d %s", status, body)
		}
		m := accountIDInPage.FindStringSubmatch(body)
		r := tn.do(t, http.MethodGet, "/oauth/"+tn.LocationID+"/facebook/accounts/"+m[1], "").want(t, 400)
		compareGolden(t, "oauth_refused_consent_accounts", r.Raw, map[string]string{"locationId": tn.LocationID})
		if status, _, body = get(t, tn.srv, "/oauth/callback?state=nope&code=x", nil); status != http.StatusBadRequest || !strings.Contains(body, "expired") {
			t.Fatalf("unknown state %d %s", status, body)
		}
	})
}
