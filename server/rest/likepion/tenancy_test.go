package likepion_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/config"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
)

func TestAnotherWorkspaceSeesNoTaskOrAccountOfMine(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f := setup(t, st)
		held := f.started(t, f.worker1)
		pending := f.enqueue(t, 0)
		before := f.snapshot(t)

		// B's claim finds nothing, however many it asks for.
		f.must(t, http.MethodGet, "/links?limit=100", f.workerB, "", `{"success":true,"data":[]}`)

		for _, tk := range []string{pending.UUID.String(), held.UUID.String()} {
			for _, r := range []struct{ method, path, body string }{
				{http.MethodGet, "/links/" + tk, ""},
				{http.MethodPost, "/links/" + tk + "/start", ""},
				{http.MethodPost, "/links/" + tk + "/complete", `{"link_post":"https://x.example/p/1"}`},
				{http.MethodPost, "/links/" + tk + "/fail", `{"error_message":"x"}`},
			} {
				status, body := f.do(t, r.method, r.path, f.workerB, r.body)
				wantError(t, status, body, http.StatusNotFound, "task not found")
			}
		}
		acc := "/accounts/" + f.account.UUID.String()
		status, body := f.do(t, http.MethodGet, acc, f.workerB, "")
		wantError(t, status, body, http.StatusNotFound, "account không tồn tại hoặc đã xoá")
		status, body = f.do(t, http.MethodPut, acc, f.workerB, `{"cookie":"sid=stolen","status":"banned"}`)
		wantError(t, status, body, http.StatusNotFound, "account không tồn tại hoặc đã xoá")

		if f.snapshot(t) != before {
			t.Error("another workspace's worker changed my tasks or accounts")
		}
		// Mine are still there for me.
		f.must(t, http.MethodGet, "/links?limit=5", f.worker2, "", `{"success":true,"data":[`+f.docLinkJSON(pending.UUID.String(), true)+`]}`)
	})
}

// TestALateReportAfterTheLeaseMovedOnIsRefused: worker 1 claims and goes
// silent; its lease expires and is reaped; worker 2 claims and completes;
// worker 1's late reports are conflicts and worker 2's result stands.
func TestALateReportAfterTheLeaseMovedOnIsRefused(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f := setup(t, st, func(c *config.Config) { c.LeaseDuration = 10 * time.Second }) // the shortest allowed
		tk := f.enqueue(t, 3)
		path := "/links/" + tk.UUID.String()
		f.must(t, http.MethodGet, "/links?limit=1", f.worker1, "", `{"success":true,"data":[`+f.docLinkJSON(tk.UUID.String(), true)+`]}`)
		f.must(t, http.MethodPost, path+"/start", f.worker1, "", `{"success":true}`)

		// Instead of sleeping out the lease and then the retry backoff,
		// move them into the past, as time passing would.
		sys := privacy.DecisionContext(t.Context(), privacy.Allow)
		client := f.srv.App.Store.Client
		client.Task.UpdateOneID(tk.ID).SetLeaseExpiresAt(time.Now().Add(-time.Second)).ExecX(sys)
		if n, err := f.srv.App.Tasks.ReapExpired(t.Context()); err != nil || n != 1 {
			t.Fatalf("reap: %d, %v", n, err)
		}
		if got := f.reload(t, tk); got.Status != task.StatusPENDING {
			t.Fatalf("after reaping: %s", got.Status)
		}
		client.Task.UpdateOneID(tk.ID).SetNotBefore(time.Now().Add(-time.Second)).ExecX(sys)

		// Worker 1's report on the expired lease is already refused.
		status, body := f.do(t, http.MethodPost, path+"/complete", f.worker1, `{"link_post":"https://x.example/late"}`)
		wantError(t, status, body, http.StatusConflict, "lease is not held")

		f.must(t, http.MethodGet, "/links?limit=1", f.worker2, "", `{"success":true,"data":[`+f.docLinkJSON(tk.UUID.String(), true)+`]}`)
		f.must(t, http.MethodPost, path+"/start", f.worker2, "", `{"success":true}`)
		f.must(t, http.MethodPost, path+"/complete", f.worker2, `{"link_post":"https://x.example/by-2"}`, `{"success":true}`)

		before := f.snapshot(t)
		for _, r := range []struct{ path, body string }{
			{path + "/complete", `{"link_post":"https://x.example/late"}`},
			{path + "/fail", `{"error_message":"late"}`},
			{path + "/start", ""},
		} {
			status, body := f.do(t, http.MethodPost, r.path, f.worker1, r.body)
			wantError(t, status, body, http.StatusConflict, "lease is not held")
		}
		if f.snapshot(t) != before {
			t.Error("late reports changed the database")
		}
		got := f.reload(t, tk)
		if got.Status != task.StatusCOMPLETED || got.Result["link_post"] != "https://x.example/by-2" || got.Attempts != 2 {
			t.Fatalf("task: status %s result %v attempts %d", got.Status, got.Result, got.Attempts)
		}
	})
}
