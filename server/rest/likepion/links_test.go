package likepion_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
)

// docLinkJSON is the document's task object with the fixture's identities.
func (f *fixture) docLinkJSON(tk string, withSecrets bool) string {
	password, passMail, twofa, appPassword, cookie := "pwReal!", "mail pass word", "JBSWY3DPEHPK3PXP", "abcd efgh ijkl mnop", "sid=abc"
	if !withSecrets {
		password, passMail, twofa, appPassword, cookie = "", "", "", "", ""
	}
	b, _ := json.Marshal(map[string]any{
		"id":           tk,
		"request_id":   f.post.UUID.String(),
		"account_id":   f.account.UUID.String(),
		"domain":       "example-social.com",
		"website":      docLink,
		"email":        "socactive@seed.com",
		"username":     "socactive",
		"password":     password,
		"pass_mail":    passMail,
		"twofa":        twofa,
		"app_password": appPassword,
		"cookie":       cookie,
		"title":        docTitle,
		"about":        docAbout,
		"images": []any{map[string]any{
			"id":  uuid.NewSHA1(f.post.UUID, []byte(docImage)).String(),
			"url": docImage,
		}},
	})
	return string(b)
}

func TestClaimAnswersTheDocumentedTaskList(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f := setup(t, st)

		// Nothing to do: an empty array, not null.
		f.must(t, http.MethodGet, "/links?limit=5", f.worker1, "", `{"success":true,"data":[]}`)

		t1, t2 := f.enqueue(t, 0), f.enqueue(t, 0)
		body := f.must(t, http.MethodGet, "/links?limit=5", f.worker1, "",
			fmt.Sprintf(`{"success":true,"data":[%s,%s]}`, f.docLinkJSON(t1.UUID.String(), true), f.docLinkJSON(t2.UUID.String(), true)))
		if keys := objectKeys(t, body); !slices.Equal(keys, []string{"success", "data"}) {
			t.Errorf("envelope keys %v", keys)
		}
		var items []json.RawMessage
		if err := json.Unmarshal(field(t, body, "data"), &items); err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			if keys := objectKeys(t, it); !slices.Equal(keys, linkFields) {
				t.Errorf("task keys\n got %v\nwant %v", keys, linkFields)
			}
		}
		for _, tk := range []int{t1.ID, t2.ID} {
			got := f.srv.App.Store.Client.Task.GetX(f.ctxA, tk)
			if got.Status != task.StatusASSIGNED || got.LeaseOwner == "" {
				t.Errorf("claimed task %d: status %s owner %q", tk, got.Status, got.LeaseOwner)
			}
		}
		// Claimed tasks are not handed out again.
		f.must(t, http.MethodGet, "/links?limit=5", f.worker2, "", `{"success":true,"data":[]}`)
	})
}

func TestClaimTakesOneTaskWithoutALimit(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f := setup(t, st)
		t1, t2 := f.enqueue(t, 0), f.enqueue(t, 0)
		f.must(t, http.MethodGet, "/links", f.worker1, "", `{"success":true,"data":[`+f.docLinkJSON(t1.UUID.String(), true)+`]}`)
		f.must(t, http.MethodGet, "/links", f.worker1, "", `{"success":true,"data":[`+f.docLinkJSON(t2.UUID.String(), true)+`]}`)
	})
}

func TestClaimRefusesALimitOutsideOneToHundred(t *testing.T) {
	t.Parallel()
	st := testkit.Open(t, testkit.SQLite)
	f := setup(t, st)
	f.enqueue(t, 0)
	before := f.snapshot(t)
	for _, q := range []string{"0", "101", "-1", "abc", "", "1.5"} {
		t.Run("limit="+q, func(t *testing.T) {
			status, body := f.do(t, http.MethodGet, "/links?limit="+q, f.worker1, "")
			wantError(t, status, body, http.StatusBadRequest, "limit must be an integer between 1 and 100")
		})
	}
	if f.snapshot(t) != before {
		t.Error("a refused claim changed the database")
	}
}

func TestTaskDetailIsTheUnwrappedTaskAndChangesNothing(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f := setup(t, st)
		tk := f.claimed(t, f.worker1)
		before := f.snapshot(t)

		body := f.must(t, http.MethodGet, "/links/"+tk.UUID.String(), f.worker1, "",
			`{"success":true,"data":`+f.docLinkJSON(tk.UUID.String(), true)+`}`)
		if keys := objectKeys(t, field(t, body, "data")); !slices.Equal(keys, linkFields) {
			t.Errorf("task keys %v", keys)
		}
		// Another worker of the workspace sees the task but not the
		// credentials of an account it holds no task for.
		f.must(t, http.MethodGet, "/links/"+tk.UUID.String(), f.worker2, "",
			`{"success":true,"data":`+f.docLinkJSON(tk.UUID.String(), false)+`}`)
		if f.snapshot(t) != before {
			t.Error("GET /links/{id} changed the database")
		}
	})
}

func TestStartThenCompleteAsDocumented(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f := setup(t, st)
		tk := f.claimed(t, f.worker1)
		path := "/links/" + tk.UUID.String()

		f.must(t, http.MethodPost, path+"/start", f.worker1, "", `{ "success": true }`)
		first := f.reload(t, tk)
		if first.Status != task.StatusRUNNING || first.StartedAt == nil {
			t.Fatalf("after start: status %s started %v", first.Status, first.StartedAt)
		}
		// Idempotent: started_at does not move.
		f.must(t, http.MethodPost, path+"/start", f.worker1, "", `{"success":true}`)
		if again := f.reload(t, tk); !again.StartedAt.Equal(*first.StartedAt) || again.Status != task.StatusRUNNING {
			t.Fatalf("second start changed the task: %v → %v", first.StartedAt, again.StartedAt)
		}

		const linkPost = "https://example-social.com/u/socactive/post/12345"
		f.must(t, http.MethodPost, path+"/complete", f.worker1, `{"link_post": "`+linkPost+`"}`, `{"success":true}`)
		done := f.reload(t, tk)
		if done.Status != task.StatusCOMPLETED || done.Result["link_post"] != linkPost {
			t.Fatalf("after complete: status %s result %v", done.Status, done.Result)
		}
		// A retried complete with the same link is accepted unchanged.
		f.must(t, http.MethodPost, path+"/complete", f.worker1, `{"link_post": "`+linkPost+`"}`, `{"success":true}`)
	})
}

func TestFailAsDocumentedReturnsTheTaskToTheQueue(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f := setup(t, st)
		tk := f.enqueue(t, 3)
		f.must(t, http.MethodGet, "/links?limit=5", f.worker1, "", "")
		path := "/links/" + tk.UUID.String()
		f.must(t, http.MethodPost, path+"/start", f.worker1, "", `{"success":true}`)
		f.must(t, http.MethodPost, path+"/fail", f.worker1, `{"error_message": "rate limit from social site"}`, `{ "success": true }`)

		got := f.reload(t, tk)
		if got.Status != task.StatusPENDING || got.Error != "rate limit from social site" || got.LeaseOwner != "" {
			t.Fatalf("after a retryable fail: status %s error %q owner %q", got.Status, got.Error, got.LeaseOwner)
		}
		if !got.NotBefore.After(*f.reload(t, tk).StartedAt) {
			t.Errorf("no backoff: not_before %s", got.NotBefore)
		}
	})
}

func TestFailOnTheLastAttemptFailsTheTask(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f := setup(t, st)
		tk := f.started(t, f.worker1) // a single attempt
		f.must(t, http.MethodPost, "/links/"+tk.UUID.String()+"/fail", f.worker1, `{"error_message":"account locked"}`, `{"success":true}`)
		if got := f.reload(t, tk); got.Status != task.StatusFAILED || got.Error != "account locked" {
			t.Fatalf("status %s error %q", got.Status, got.Error)
		}
	})
}

func TestTaskDetailOfAPostDeletedUnderItIsNotFound(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f := setup(t, st)
		held := f.claimed(t, f.worker1)
		waiting := f.enqueue(t, 0)
		cancelled := f.enqueue(t, 0) // cancelled for another reason: still there
		if _, err := f.srv.App.Tasks.Cancel(f.ctxA, cancelled.ID); err != nil {
			t.Fatal(err)
		}
		if err := f.srv.App.Posts.Delete(f.ctxA, f.post.ID); err != nil {
			t.Fatal(err)
		}
		for _, tk := range []*ent.Task{waiting, held} {
			if got := f.reload(t, tk); got.Status != task.StatusCANCELLED || got.PostID != nil {
				t.Fatalf("task of the deleted post: status %s post %v", got.Status, got.PostID)
			}
			for _, key := range []string{f.worker1, f.worker2} {
				status, body := f.do(t, http.MethodGet, "/links/"+tk.UUID.String(), key, "")
				f.golden(t, "link_of_deleted_post", status, http.StatusNotFound, body)
			}
		}
		if status, body := f.do(t, http.MethodGet, "/links/"+cancelled.UUID.String(), f.worker1, ""); status != http.StatusOK {
			t.Errorf("a task cancelled on its own: %d %s", status, body)
		}
	})
}
