package likepion_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/accounts"
	"github.com/switchboardhq/switchboard/server/config"
	"github.com/switchboardhq/switchboard/server/posts"
	"github.com/switchboardhq/switchboard/server/rest/likepion"
	"github.com/switchboardhq/switchboard/server/rest/openapi/openapitest"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/tasks"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

const base = "/api/v1/social"

// The account and post of the fixture carry the document's example values.
const (
	docTitle = "Bài viết SEO backlink"
	docAbout = `<p>Nội dung HTML với anchor <a href="https://likepion.com">likepion</a></p>`
	docLink  = "https://likepion.com"
	docImage = "https://s3.likepion.com/posts/img.jpg"
)

// linkFields and accountFields are the documented objects' keys, in order.
var (
	linkFields = []string{"id", "request_id", "account_id", "domain", "website", "email", "username",
		"password", "pass_mail", "twofa", "app_password", "cookie", "title", "about", "images"}
	accountFields = []string{"id", "post_id", "register_id", "group_id", "site_id", "site_name", "status",
		"posting_status", "post_task_id", "post_link", "email", "username", "password", "pass_mail", "twofa",
		"app_password", "link_profile", "created_at", "updated_at", "last_used_at", "cookie"}
)

// fixture is one server with two workspaces. A ("acme") has an account
// with every credential set and a post targeting it, two worker keys, an
// api-scope key and a session token; B ("globex") has a worker key and
// nothing else.
type fixture struct {
	srv     *testkit.Server
	ctxA    context.Context
	wsA     int
	worker1 string // A's worker keys
	worker2 string
	apiKeyA string // A's api-scope key
	tokenA  string // A's session token
	workerB string

	account *ent.Account
	post    *ent.Post
}

func setup(t *testing.T, st *store.Store, opts ...func(*config.Config)) *fixture {
	t.Helper()
	srv := testkit.StartServer(t, st, opts...)
	alice := srv.CreateUser(t, "alice", viewer.RoleMember, "acme")
	carol := srv.CreateUser(t, "carol", viewer.RoleMember, "acme")
	bob := srv.CreateUser(t, "bob", viewer.RoleMember, "globex")
	f := &fixture{
		srv:     srv,
		ctxA:    testkit.ViewerContext(t.Context(), alice),
		wsA:     alice.WorkspaceID,
		worker1: srv.APIKey(t, alice, viewer.ScopeWorker),
		worker2: srv.APIKey(t, carol, viewer.ScopeWorker),
		apiKeyA: srv.APIKey(t, alice, viewer.ScopeAPI),
		tokenA:  srv.Login(t, "alice"),
		workerB: srv.APIKey(t, bob, viewer.ScopeWorker),
	}
	a, err := srv.App.Accounts.Create(f.ctxA, accounts.CreateInput{
		Platform: account.PlatformOther,
		Username: "socactive",
		Profile: accounts.Profile{
			Email: ptr("socactive@seed.com"), LinkProfile: ptr("https://sutori.com/u/socactive"),
			Status: ptr(account.StatusACTIVE),
		},
		Credentials: accounts.Credentials{
			Password: ptr("pwReal!"), MailPassword: ptr("mail pass word"), TotpSecret: ptr("JBSWY3DPEHPK3PXP"),
			AppPassword: ptr("abcd efgh ijkl mnop"), Cookie: ptr("sid=abc"),
		},
	})
	if err != nil {
		t.Fatalf("create account: %v", err)
	}
	f.account = srv.App.Store.Client.Account.UpdateOne(a).
		SetExternalIds(map[string]string{"site_name": "example-social.com", "register_id": "reg-1", "group_id": "grp-1", "site_id": "site-1"}).
		SaveX(f.ctxA)
	f.post, err = srv.App.Posts.Create(f.ctxA, posts.CreateInput{
		Title: ptr(docTitle), Body: ptr(docAbout), Link: ptr(docLink), Media: []string{docImage},
		AccountIDs: []int{a.ID},
	})
	if err != nil {
		t.Fatalf("create post: %v", err)
	}
	return f
}

func ptr[T any](v T) *T { return &v }

// enqueue adds a post task for the fixture's account and post, as the
// scheduler would. maxAttempts 0 is the default.
func (f *fixture) enqueue(t *testing.T, maxAttempts int) *ent.Task {
	t.Helper()
	tk, err := f.srv.App.Tasks.Enqueue(f.ctxA, tasks.EnqueueInput{
		Kind: task.KindPOST_PUBLISH, AccountID: &f.account.ID, PostID: &f.post.ID, MaxAttempts: maxAttempts,
		Payload: map[string]any{"title": docTitle, "body": docAbout, "link": docLink, "media": []any{docImage}},
	})
	if err != nil {
		t.Fatalf("enqueue: %v", err)
	}
	return tk
}

// claimed enqueues a single-attempt task and claims it with key over HTTP.
// It fails if the claim returns anything else, so a test that leaves a
// task pending is caught here.
func (f *fixture) claimed(t *testing.T, key string) *ent.Task {
	t.Helper()
	tk := f.enqueue(t, 1)
	status, body := f.do(t, http.MethodGet, "/links?limit=100", key, "")
	var out struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &out); status != http.StatusOK || err != nil {
		t.Fatalf("claim: %d %s", status, body)
	}
	if len(out.Data) != 1 || out.Data[0].ID != tk.UUID.String() {
		t.Fatalf("claim returned %s, want only task %s", body, tk.UUID)
	}
	return tk
}

// started is claimed followed by /start.
func (f *fixture) started(t *testing.T, key string) *ent.Task {
	t.Helper()
	tk := f.claimed(t, key)
	f.must(t, http.MethodPost, "/links/"+tk.UUID.String()+"/start", key, "", `{"success":true}`)
	return tk
}

// do sends a request under /api/v1/social with key as X-API-Key ("" for
// none) and returns the status and whole body.
func (f *fixture) do(t *testing.T, method, path, key, body string) (int, []byte) {
	t.Helper()
	h := http.Header{}
	if key != "" {
		h.Set("X-API-Key", key)
	}
	return f.doHeaders(t, method, path, h, body)
}

func (f *fixture) doHeaders(t *testing.T, method, path string, h http.Header, body string) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, f.srv.URL+base+path, rd)
	if err != nil {
		t.Fatalf("build %s %s: %v", method, path, err)
	}
	req.Header = h.Clone()
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := f.srv.HTTP.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s %s: %v", method, path, err)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s %s: Content-Type %q, want JSON", method, path, ct)
	}
	openapitest.For(t, likepion.OpenAPI()).Check(t, req, []byte(body), resp.StatusCode, resp.Header, raw)
	return resp.StatusCode, raw
}

// must sends a request that must answer 200 with exactly want.
func (f *fixture) must(t *testing.T, method, path, key, body, want string) []byte {
	t.Helper()
	status, got := f.do(t, method, path, key, body)
	if status != http.StatusOK {
		t.Fatalf("%s %s: status %d %s", method, path, status, got)
	}
	if want != "" {
		sameJSON(t, got, want)
	}
	return got
}

var update = flag.Bool("update", false, "rewrite the golden files under testdata/ with the answers received")

// golden fails unless the answer is wantStatus with the body of
// testdata/<name>.json (indented JSON), which -update writes.
func (f *fixture) golden(t *testing.T, name string, status, wantStatus int, body []byte) {
	t.Helper()
	if status != wantStatus {
		t.Fatalf("status %d, want %d; body %s", status, wantStatus, body)
	}
	var indented bytes.Buffer
	if err := json.Indent(&indented, body, "", "  "); err != nil {
		t.Fatalf("not JSON: %s", body)
	}
	indented.WriteByte('\n')
	file := filepath.Join("testdata", name+".json")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, indented.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run the test with -update to write it)", err)
	}
	sameJSON(t, body, string(want))
}

// sameJSON fails unless got and want are the same JSON value.
func sameJSON(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("response is not JSON: %q", got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad expectation %q: %v", want, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("body\n got %s\nwant %s", bytes.TrimSpace(got), want)
	}
}

// wantError fails unless the answer is status with Likepion's error
// envelope carrying msg.
func wantError(t *testing.T, status int, body []byte, wantStatus int, msg string) {
	t.Helper()
	if status != wantStatus {
		t.Fatalf("status %d, want %d; body %s", status, wantStatus, body)
	}
	want, _ := json.Marshal(map[string]any{"success": false, "message": msg})
	sameJSON(t, body, string(want))
	if keys := objectKeys(t, body); !slices.Equal(keys, []string{"success", "message"}) {
		t.Fatalf("envelope keys %v", keys)
	}
}

// objectKeys returns the keys of the JSON object raw in their order.
func objectKeys(t *testing.T, raw []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not a JSON object: %s", raw)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("decode %s: %v", raw, err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatalf("decode %s: %v", raw, err)
		}
	}
	return keys
}

// field returns the value of key in the JSON object raw.
func field(t *testing.T, raw []byte, key string) json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("not a JSON object: %s", raw)
	}
	return m[key]
}

// snapshot is every task and account of the database as stored, for
// "nothing changed" checks. It reads as the system, across workspaces.
func (f *fixture) snapshot(t *testing.T) string {
	t.Helper()
	ctx := privacy.DecisionContext(t.Context(), privacy.Allow)
	c := f.srv.App.Store.Client
	type taskRow struct {
		ID                          int
		Status                      task.Status
		Attempts                    int
		LeaseOwner, LeaseToken, Err string
		Result                      map[string]any
		LeaseExpiresAt, StartedAt   *time.Time
		UpdatedAt                   time.Time
	}
	type accountRow struct {
		ID                                              int
		Status                                          account.Status
		ExternalStatus, Note, ErrorMessage, Email, Link string
		Enc                                             [][]byte
		UpdatedAt                                       time.Time
	}
	var out struct {
		Tasks    []taskRow
		Accounts []accountRow
	}
	for _, tk := range c.Task.Query().Order(ent.Asc(task.FieldID)).AllX(ctx) {
		out.Tasks = append(out.Tasks, taskRow{tk.ID, tk.Status, tk.Attempts, tk.LeaseOwner, tk.LeaseToken, tk.Error,
			tk.Result, tk.LeaseExpiresAt, tk.StartedAt, tk.UpdatedAt})
	}
	for _, a := range c.Account.Query().Order(ent.Asc(account.FieldID)).AllX(ctx) {
		var enc [][]byte
		for _, p := range []*[]byte{a.PasswordEnc, a.CookieEnc, a.TotpSecretEnc, a.AppPasswordEnc, a.MailPasswordEnc} {
			if p != nil {
				enc = append(enc, *p)
			} else {
				enc = append(enc, nil)
			}
		}
		out.Accounts = append(out.Accounts, accountRow{a.ID, a.Status, a.ExternalStatus, a.Note, a.ErrorMessage,
			a.Email, a.LinkProfile, enc, a.UpdatedAt})
	}
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// reload reads a task again as its workspace sees it.
func (f *fixture) reload(t *testing.T, tk *ent.Task) *ent.Task {
	t.Helper()
	return f.srv.App.Store.Client.Task.GetX(f.ctxA, tk.ID)
}
