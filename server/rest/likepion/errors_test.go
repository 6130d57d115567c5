package likepion_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/tasks"
	"github.com/switchboardhq/switchboard/server/testkit"
)

// TestRefusedTaskReportsChangeNothing replays each documented and
// undocumented error of routes 2 to 5 and checks the database is as
// before. Each case makes its own task.
func TestRefusedTaskReportsChangeNothing(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f := setup(t, st)
		type request struct{ method, path, key, body string }
		cases := []struct {
			name    string
			prepare func(t *testing.T) request
			status  int
			message string
		}{
			{"detail of an unknown task", func(t *testing.T) request {
				return request{http.MethodGet, "/links/" + uuid.NewString(), f.worker1, ""}
			}, http.StatusNotFound, "task not found"},
			{"start of an unknown task", func(t *testing.T) request {
				return request{http.MethodPost, "/links/" + uuid.NewString() + "/start", f.worker1, ""}
			}, http.StatusNotFound, "task not found"},
			{"complete of an unknown task", func(t *testing.T) request {
				return request{http.MethodPost, "/links/" + uuid.NewString() + "/complete", f.worker1, `{"link_post":"https://x.example/p/1"}`}
			}, http.StatusNotFound, "task not found"},
			{"fail of a malformed id", func(t *testing.T) request {
				return request{http.MethodPost, "/links/not-a-uuid/fail", f.worker1, `{"error_message":"x"}`}
			}, http.StatusNotFound, "task not found"},
			{"detail of a task that is not a post", func(t *testing.T) request {
				tk, err := f.srv.App.Tasks.Enqueue(f.ctxA, tasks.EnqueueInput{Kind: task.KindLIKE, AccountID: &f.account.ID})
				if err != nil {
					t.Fatal(err)
				}
				return request{http.MethodGet, "/links/" + tk.UUID.String(), f.worker1, ""}
			}, http.StatusNotFound, "task not found"},
			{"complete without start", func(t *testing.T) request {
				tk := f.claimed(t, f.worker1)
				return request{http.MethodPost, "/links/" + tk.UUID.String() + "/complete", f.worker1, `{"link_post":"https://x.example/p/1"}`}
			}, http.StatusConflict, "task has not been started"},
			{"fail without start", func(t *testing.T) request {
				tk := f.claimed(t, f.worker1)
				return request{http.MethodPost, "/links/" + tk.UUID.String() + "/fail", f.worker1, `{"error_message":"x"}`}
			}, http.StatusConflict, "task has not been started"},
			{"fail twice", func(t *testing.T) request {
				tk := f.started(t, f.worker1)
				f.must(t, http.MethodPost, "/links/"+tk.UUID.String()+"/fail", f.worker1, `{"error_message":"first"}`, `{"success":true}`)
				return request{http.MethodPost, "/links/" + tk.UUID.String() + "/fail", f.worker1, `{"error_message":"second"}`}
			}, http.StatusConflict, "lease is not held"},
			{"complete after fail", func(t *testing.T) request {
				tk := f.started(t, f.worker1)
				f.must(t, http.MethodPost, "/links/"+tk.UUID.String()+"/fail", f.worker1, `{"error_message":"first"}`, `{"success":true}`)
				return request{http.MethodPost, "/links/" + tk.UUID.String() + "/complete", f.worker1, `{"link_post":"https://x.example/p/1"}`}
			}, http.StatusConflict, "lease is not held"},
			{"complete again with another link", func(t *testing.T) request {
				tk := f.started(t, f.worker1)
				f.must(t, http.MethodPost, "/links/"+tk.UUID.String()+"/complete", f.worker1, `{"link_post":"https://x.example/p/1"}`, `{"success":true}`)
				return request{http.MethodPost, "/links/" + tk.UUID.String() + "/complete", f.worker1, `{"link_post":"https://x.example/p/2"}`}
			}, http.StatusConflict, "task was already completed with a different result"},
			{"another worker key starts my task", func(t *testing.T) request {
				tk := f.claimed(t, f.worker1)
				return request{http.MethodPost, "/links/" + tk.UUID.String() + "/start", f.worker2, ""}
			}, http.StatusConflict, "lease is not held"},
			{"another worker key completes my task", func(t *testing.T) request {
				tk := f.started(t, f.worker1)
				return request{http.MethodPost, "/links/" + tk.UUID.String() + "/complete", f.worker2, `{"link_post":"https://x.example/p/1"}`}
			}, http.StatusConflict, "lease is not held"},
			{"another worker key fails my task", func(t *testing.T) request {
				tk := f.started(t, f.worker1)
				return request{http.MethodPost, "/links/" + tk.UUID.String() + "/fail", f.worker2, `{"error_message":"x"}`}
			}, http.StatusConflict, "lease is not held"},
			{"start of a task nobody claimed", func(t *testing.T) request {
				tk := f.enqueue(t, 1)
				t.Cleanup(func() { _, _ = f.srv.App.Tasks.Cancel(context.WithoutCancel(f.ctxA), tk.ID) })
				return request{http.MethodPost, "/links/" + tk.UUID.String() + "/start", f.worker1, ""}
			}, http.StatusConflict, "lease is not held"},
			{"complete with malformed JSON", func(t *testing.T) request {
				tk := f.started(t, f.worker1)
				return request{http.MethodPost, "/links/" + tk.UUID.String() + "/complete", f.worker1, `{"link_post":`}
			}, http.StatusBadRequest, "invalid JSON body"},
			{"complete with trailing data", func(t *testing.T) request {
				tk := f.started(t, f.worker1)
				return request{http.MethodPost, "/links/" + tk.UUID.String() + "/complete", f.worker1, `{"link_post":"https://x.example/p/1"} {}`}
			}, http.StatusBadRequest, "invalid JSON body"},
			{"complete without link_post", func(t *testing.T) request {
				tk := f.started(t, f.worker1)
				return request{http.MethodPost, "/links/" + tk.UUID.String() + "/complete", f.worker1, ""}
			}, http.StatusBadRequest, "link_post is required"},
			{"complete with a link_post that is not a URL", func(t *testing.T) request {
				tk := f.started(t, f.worker1)
				return request{http.MethodPost, "/links/" + tk.UUID.String() + "/complete", f.worker1, `{"link_post":"javascript:alert(1)"}`}
			}, http.StatusBadRequest, "link_post must be an http(s) URL"},
			{"fail without error_message", func(t *testing.T) request {
				tk := f.started(t, f.worker1)
				return request{http.MethodPost, "/links/" + tk.UUID.String() + "/fail", f.worker1, `{"error_message":"  "}`}
			}, http.StatusBadRequest, "error_message is required"},
			{"fail with a body over 1 MiB", func(t *testing.T) request {
				tk := f.started(t, f.worker1)
				return request{http.MethodPost, "/links/" + tk.UUID.String() + "/fail", f.worker1,
					`{"error_message":"` + strings.Repeat("x", 1<<20) + `"}`}
			}, http.StatusRequestEntityTooLarge, "request body too large"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				req := tc.prepare(t)
				before := f.snapshot(t)
				status, body := f.do(t, req.method, req.path, req.key, req.body)
				wantError(t, status, body, tc.status, tc.message)
				if f.snapshot(t) != before {
					t.Error("a refused request changed the database")
				}
			})
		}
	})
}

// TestRefusedAccountUpdatesChangeNothing covers route 7's error table and
// the cases the document leaves out.
func TestRefusedAccountUpdatesChangeNothing(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f := setup(t, st)
		mine := "/accounts/" + f.account.UUID.String()
		cases := []struct {
			name, method, path, body string
			status                   int
			message                  string
		}{
			{"empty body", http.MethodPut, mine, "", http.StatusBadRequest, "không có field nào để update"},
			{"empty object", http.MethodPut, mine, `{}`, http.StatusBadRequest, "không có field nào để update"},
			{"only username", http.MethodPut, mine, `{"username":"renamed"}`, http.StatusBadRequest, "không có field nào để update"},
			{"only nulls and unknown fields", http.MethodPut, mine, `{"note":null,"foo":"bar"}`, http.StatusBadRequest, "không có field nào để update"},
			{"unknown status", http.MethodPut, mine, `{"status":"zombie","note":"real note"}`, http.StatusBadRequest, "status không hợp lệ"},
			{"status in capitals", http.MethodPut, mine, `{"status":"ACTIVE"}`, http.StatusBadRequest, "status không hợp lệ"},
			{"empty status", http.MethodPut, mine, `{"status":""}`, http.StatusBadRequest, "status không hợp lệ"},
			{"document's cookie", http.MethodPut, mine, `{"cookie":"sid=newvalue; csrf=...","status":"active"}`, http.StatusBadRequest, "cookie không được dùng giá trị mẫu (placeholder)"},
			{"document's note", http.MethodPut, mine, `{"note":"auto-refreshed after 401"}`, http.StatusBadRequest, "note không được dùng giá trị mẫu (placeholder)"},
			{"document's app password", http.MethodPut, mine, `{"app_password":"xxxx xxxx xxxx xxxx"}`, http.StatusBadRequest, "app_password không được dùng giá trị mẫu (placeholder)"},
			{"document's pass_mail", http.MethodPut, mine, `{"pass_mail":"xxxx xxxx xxxx xxxx"}`, http.StatusBadRequest, "pass_mail không được dùng giá trị mẫu (placeholder)"},
			{"document's twofa", http.MethodPut, mine, `{"twofa":"JBSWY3DPEHPK3PXP"}`, http.StatusBadRequest, "twofa không được dùng giá trị mẫu (placeholder)"},
			{"document's password", http.MethodPut, mine, `{"password":"pwReal!"}`, http.StatusBadRequest, "password không được dùng giá trị mẫu (placeholder)"},
			{"document's email", http.MethodPut, mine, `{"email":"socactive@seed.com"}`, http.StatusBadRequest, "email không được dùng giá trị mẫu (placeholder)"},
			{"document's ellipsis", http.MethodPut, mine, `{"password":"..."}`, http.StatusBadRequest, "password không được dùng giá trị mẫu (placeholder)"},
			{"document's error message", http.MethodPut, mine, `{"status":"dead","error_message":"..."}`, http.StatusBadRequest, "error_message không được dùng giá trị mẫu (placeholder)"},
			{"document's link_profile", http.MethodPut, mine, `{"link_profile":"https://sutori.com/u/socactive"}`, http.StatusBadRequest, "link_profile không được dùng giá trị mẫu (placeholder)"},
			{"document's cookie of the detail", http.MethodPut, mine, `{"cookie":"sid=abc123; csrf=xyz"}`, http.StatusBadRequest, "cookie không được dùng giá trị mẫu (placeholder)"},
			{"document's api key placeholder", http.MethodPut, mine, `{"note":"<api_key>"}`, http.StatusBadRequest, "note không được dùng giá trị mẫu (placeholder)"},
			{"a valid field beside a placeholder", http.MethodPut, mine, `{"note":"fine","cookie":"sid=abc"}`, http.StatusBadRequest, "cookie không được dùng giá trị mẫu (placeholder)"},
			{"a number for a string", http.MethodPut, mine, `{"note":42}`, http.StatusBadRequest, "note không hợp lệ"},
			{"an invalid email", http.MethodPut, mine, `{"email":"not an address"}`, http.StatusBadRequest, "email không hợp lệ"},
			{"a link_profile that is not a URL", http.MethodPut, mine, `{"link_profile":"sutori/u/me"}`, http.StatusBadRequest, "link_profile không hợp lệ"},
			{"malformed JSON", http.MethodPut, mine, `{"note":`, http.StatusBadRequest, "invalid JSON body"},
			{"a JSON array", http.MethodPut, mine, `["note"]`, http.StatusBadRequest, "invalid JSON body"},
			{"update of an unknown account", http.MethodPut, "/accounts/" + uuid.NewString(), `{"note":"x"}`, http.StatusNotFound, "account không tồn tại hoặc đã xoá"},
			{"update of a malformed id", http.MethodPut, "/accounts/123", `{"note":"x"}`, http.StatusNotFound, "account không tồn tại hoặc đã xoá"},
			{"update with an empty id", http.MethodPut, "/accounts/", `{"note":"x"}`, http.StatusBadRequest, "account id required"},
			{"detail of an unknown account", http.MethodGet, "/accounts/" + uuid.NewString(), "", http.StatusNotFound, "account không tồn tại hoặc đã xoá"},
			{"detail of a malformed id", http.MethodGet, "/accounts/not-a-uuid", "", http.StatusNotFound, "account không tồn tại hoặc đã xoá"},
			{"detail with an empty id", http.MethodGet, "/accounts/", "", http.StatusBadRequest, "account id required"},
			{"detail without the slash", http.MethodGet, "/accounts", "", http.StatusBadRequest, "account id required"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				before := f.snapshot(t)
				status, body := f.do(t, tc.method, tc.path, f.worker1, tc.body)
				wantError(t, status, body, tc.status, tc.message)
				if f.snapshot(t) != before {
					t.Error("a refused request changed the database")
				}
			})
		}
	})
}

func TestCallersWithoutAWorkerKeyAreRefused(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f := setup(t, st)
		tk := f.enqueue(t, 0)
		routes := []struct{ method, path, body string }{
			{http.MethodGet, "/links?limit=5", ""},
			{http.MethodGet, "/links/" + tk.UUID.String(), ""},
			{http.MethodPost, "/links/" + tk.UUID.String() + "/start", ""},
			{http.MethodPost, "/links/" + tk.UUID.String() + "/complete", `{"link_post":"https://x.example/p"}`},
			{http.MethodPost, "/links/" + tk.UUID.String() + "/fail", `{"error_message":"x"}`},
			{http.MethodGet, "/accounts/" + f.account.UUID.String(), ""},
			{http.MethodPut, "/accounts/" + f.account.UUID.String(), `{"note":"x"}`},
			{http.MethodGet, "/nowhere", ""},
		}
		callers := []struct {
			name    string
			header  http.Header
			status  int
			message string
		}{
			{"no key", http.Header{}, http.StatusUnauthorized, "API key required"},
			{"unknown key", http.Header{"X-Api-Key": {"sht_" + strings.Repeat("0", 64)}}, http.StatusUnauthorized, "invalid API key"},
			{"garbage key", http.Header{"X-Api-Key": {"hello"}}, http.StatusUnauthorized, "invalid API key"},
			{"api-scope key", http.Header{"X-Api-Key": {f.apiKeyA}}, http.StatusForbidden, "a worker API key is required"},
			{"session token", http.Header{"Authorization": {"Bearer " + f.tokenA}}, http.StatusForbidden, "a worker API key is required"},
		}
		before := f.snapshot(t)
		for _, c := range callers {
			for _, r := range routes {
				t.Run(c.name+" "+r.method+" "+r.path, func(t *testing.T) {
					status, body := f.doHeaders(t, r.method, r.path, c.header, r.body)
					wantError(t, status, body, c.status, c.message)
				})
			}
		}
		if f.snapshot(t) != before {
			t.Error("refused callers changed the database")
		}
	})
}

func TestUnknownPathsAndMethodsAnswerInTheEnvelope(t *testing.T) {
	t.Parallel()
	st := testkit.Open(t, testkit.SQLite)
	f := setup(t, st)
	cases := []struct {
		method, path string
		status       int
		message      string
	}{
		{http.MethodGet, "/nowhere", http.StatusNotFound, "not found"},
		{http.MethodGet, "/links/" + uuid.NewString() + "/extra", http.StatusNotFound, "not found"},
		{http.MethodDelete, "/links", http.StatusMethodNotAllowed, "method not allowed"},
		{http.MethodGet, "/links/" + uuid.NewString() + "/start", http.StatusMethodNotAllowed, "method not allowed"},
		{http.MethodDelete, "/accounts/" + uuid.NewString(), http.StatusMethodNotAllowed, "method not allowed"},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			status, body := f.do(t, tc.method, tc.path, f.worker1, "")
			wantError(t, status, body, tc.status, tc.message)
		})
	}
}
