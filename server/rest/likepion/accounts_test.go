package likepion_test

import (
	"encoding/json"
	"github.com/switchboardhq/switchboard/server/accounts/accountstest"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/server/events"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
)

// getAccount fetches the fixture's account with key and checks the
// documented envelope and field order.
func (f *fixture) getAccount(t *testing.T, key string) map[string]string {
	t.Helper()
	body := f.must(t, http.MethodGet, "/accounts/"+f.account.UUID.String(), key, "", "")
	if keys := objectKeys(t, body); !slices.Equal(keys, []string{"success", "data"}) {
		t.Fatalf("envelope keys %v", keys)
	}
	data := field(t, body, "data")
	if keys := objectKeys(t, data); !slices.Equal(keys, accountFields) {
		t.Fatalf("account keys\n got %v\nwant %v", keys, accountFields)
	}
	var out map[string]string
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("account fields are not all strings: %s", data)
	}
	return out
}

func TestAccountDetailAsDocumented(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f := setup(t, st)

		// No post task yet; no task held, so no credentials.
		got := f.getAccount(t, f.worker1)
		a := f.srv.App.Store.Client.Account.GetX(f.ctxA, f.account.ID)
		want := map[string]string{
			"id": a.UUID.String(), "post_id": "", "register_id": "reg-1", "group_id": "grp-1", "site_id": "site-1",
			"site_name": "example-social.com", "status": "active", "posting_status": "idle", "post_task_id": "",
			"post_link": "", "email": "socactive@seed.com", "username": "socactive",
			"password": "", "pass_mail": "", "twofa": "", "app_password": "",
			"link_profile": "https://sutori.com/u/socactive",
			"created_at":   a.CreatedAt.UTC().Format("2006-01-02T15:04:05-0700"),
			"updated_at":   a.UpdatedAt.UTC().Format("2006-01-02T15:04:05-0700"),
			"last_used_at": a.UpdatedAt.UTC().Format("2006-01-02T15:04:05-0700"),
			"cookie":       "",
		}
		assertFields(t, got, want)
		if _, err := time.Parse("2006-01-02T15:04:05-0700", got["created_at"]); err != nil {
			t.Errorf("created_at %q is not the document's format: %v", got["created_at"], err)
		}

		// Claimed and running: posting, with the running post and the
		// credentials for the worker that holds the task.
		tk := f.started(t, f.worker1)
		got = f.getAccount(t, f.worker1)
		want["post_id"], want["posting_status"], want["post_task_id"] = f.post.UUID.String(), "posting", tk.UUID.String()
		want["password"], want["pass_mail"], want["twofa"] = "pwReal!", "mail pass word", "JBSWY3DPEHPK3PXP"
		want["app_password"], want["cookie"] = "abcd efgh ijkl mnop", "sid=abc"
		// Used when the worker last touched a task of it.
		startedAt := f.srv.App.Store.Client.Task.GetX(f.ctxA, tk.ID).UpdatedAt
		want["last_used_at"] = startedAt.UTC().Format("2006-01-02T15:04:05-0700")
		assertFields(t, got, want)

		// Another worker key of the workspace holds nothing here.
		other := f.getAccount(t, f.worker2)
		for _, k := range []string{"password", "pass_mail", "twofa", "app_password", "cookie"} {
			if other[k] != "" {
				t.Errorf("worker without a task of the account reads %s", k)
			}
		}

		// Completed with a link: done, with post_link; nothing running.
		const linkPost = "https://example-social.com/u/socactive/post/1"
		f.must(t, http.MethodPost, "/links/"+tk.UUID.String()+"/complete", f.worker1, `{"link_post":"`+linkPost+`"}`, `{"success":true}`)
		got = f.getAccount(t, f.worker1)
		if got["posting_status"] != "done" || got["post_link"] != linkPost || got["post_id"] != "" || got["post_task_id"] != tk.UUID.String() {
			t.Errorf("after complete: posting_status %q post_link %q post_id %q post_task_id %q",
				got["posting_status"], got["post_link"], got["post_id"], got["post_task_id"])
		}
		if got["password"] != "" {
			t.Error("credentials still revealed after the task ended")
		}

		// A newer task, still queued, is "posting" again.
		next := f.enqueue(t, 0)
		got = f.getAccount(t, f.worker1)
		if got["posting_status"] != "posting" || got["post_task_id"] != next.UUID.String() || got["post_link"] != "" {
			t.Errorf("with a queued task: posting_status %q post_task_id %q post_link %q", got["posting_status"], got["post_task_id"], got["post_link"])
		}
	})
}

func assertFields(t *testing.T, got, want map[string]string) {
	t.Helper()
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %q, want %q", k, got[k], w)
		}
	}
}

func TestAccountStatusFollowsTheAccountWhenChangedElsewhere(t *testing.T) {
	t.Parallel()
	st := testkit.Open(t, testkit.SQLite)
	f := setup(t, st)
	cases := []struct {
		stored   account.Status
		external string
		want     string
	}{
		{account.StatusACTIVE, "", "active"},
		{account.StatusINACTIVE, "", "inactive"},
		{account.StatusBANNED, "", "banned"},
		{account.StatusDEAD, "", "dead"},
		{account.StatusPENDING, "", "pending"},
		{account.StatusLOCKED, "", "failed"},
		{account.StatusERROR, "", "failed"},
		{account.StatusPENDING, "registering", "registering"},
		{account.StatusERROR, "profile_failed", "profile_failed"},
		// The dashboard banned an account a worker had called active.
		{account.StatusBANNED, "active", "banned"},
	}
	for _, tc := range cases {
		t.Run(string(tc.stored)+"/"+tc.external, func(t *testing.T) {
			f.srv.App.Store.Client.Account.UpdateOneID(f.account.ID).
				SetStatus(tc.stored).SetExternalStatus(tc.external).ExecX(f.ctxA)
			if got := f.getAccount(t, f.worker1)["status"]; got != tc.want {
				t.Errorf("status %q, want %q", got, tc.want)
			}
		})
	}
}

func TestAccountUpdateAsDocumented(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		f := setup(t, st)
		path := "/accounts/" + f.account.UUID.String()
		sub := f.srv.App.Hub.Subscribe(events.TopicAccount, f.wsA)
		defer sub.Close()

		// The document's example, with real values in place of its
		// placeholders: error_message is already empty, so it is not listed.
		f.must(t, http.MethodPut, path, f.worker1, `{
			"cookie": "sid=fresh; csrf=42",
			"status": "inactive",
			"note": "refreshed after a 401",
			"error_message": "",
			"username": "someone-else"
		}`, `{"success": true, "updated": ["cookie", "status", "note"]}`)

		a := f.srv.App.Store.Client.Account.GetX(f.ctxA, f.account.ID)
		creds, err := accountstest.Stored(t, f.srv.App.Store.Client, f.srv.App.Accounts, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if *creds.Cookie != "sid=fresh; csrf=42" || *creds.Password != "pwReal!" {
			t.Errorf("credentials: cookie %q password %q", *creds.Cookie, *creds.Password)
		}
		if a.Status != account.StatusINACTIVE || a.ExternalStatus != "inactive" || a.Note != "refreshed after a 401" || a.Username != "socactive" {
			t.Errorf("stored: status %s external %q note %q username %q", a.Status, a.ExternalStatus, a.Note, a.Username)
		}
		// On PostgreSQL events come back through LISTEN, so the setup's
		// "created" may arrive after the subscription began: wait for the
		// update, past anything else about the account.
		for timeout := time.After(5 * time.Second); ; {
			select {
			case ev := <-sub.C():
				if ev.ID != f.account.ID {
					t.Errorf("event %+v", ev)
				}
				if ev.Op != events.OpUpdated {
					continue
				}
			case <-timeout:
				t.Error("no accountUpdated event")
			}
			break
		}

		// The same body again writes nothing.
		before := f.snapshot(t)
		f.must(t, http.MethodPut, path, f.worker1, `{"cookie": "sid=fresh; csrf=42", "status": "inactive"}`,
			`{"success": true, "updated": []}`)
		if f.snapshot(t) != before {
			t.Error("an update with the stored values changed the database")
		}

		// "Account bị site khoá / die": status dead + error_message; then
		// an explicit "" clears the message, a missing field keeps it.
		f.must(t, http.MethodPut, path, f.worker1, `{"status":"dead","error_message":"checkpoint loop"}`,
			`{"success":true,"updated":["status","error_message"]}`)
		f.must(t, http.MethodPut, path, f.worker1, `{"note":"parked"}`, `{"success":true,"updated":["note"]}`)
		if got := f.srv.App.Store.Client.Account.GetX(f.ctxA, f.account.ID).ErrorMessage; got != "checkpoint loop" {
			t.Errorf("a missing error_message changed it to %q", got)
		}
		f.must(t, http.MethodPut, path, f.worker1, `{"error_message":""}`, `{"success":true,"updated":["error_message"]}`)
		if got := f.srv.App.Store.Client.Account.GetX(f.ctxA, f.account.ID).ErrorMessage; got != "" {
			t.Errorf(`error_message "" left %q`, got)
		}

		// Every credential, in the document's order.
		f.must(t, http.MethodPut, path, f.worker1, `{"app_password":"new app pw","twofa":"NEWSECRETBASE32A","pass_mail":"new mail pw",
			"password":"new pw","email":"new@example.org","cookie":"sid=2","link_profile":"https://example-social.com/u/new"}`,
			`{"success":true,"updated":["cookie","email","password","pass_mail","twofa","app_password","link_profile"]}`)
		tk := f.started(t, f.worker1)
		got := f.getAccount(t, f.worker1)
		assertFields(t, got, map[string]string{"cookie": "sid=2", "email": "new@example.org", "password": "new pw",
			"pass_mail": "new mail pw", "twofa": "NEWSECRETBASE32A", "app_password": "new app pw",
			"link_profile": "https://example-social.com/u/new", "status": "dead"})
		// PUT does not touch the task.
		if f.reload(t, tk).Status != "RUNNING" {
			t.Error("PUT changed the task")
		}
	})
}

func TestAccountStatusMapsOntoAccountStatus(t *testing.T) {
	t.Parallel()
	st := testkit.Open(t, testkit.SQLite)
	f := setup(t, st)
	want := map[string]account.Status{
		"pending": account.StatusPENDING, "queued": account.StatusPENDING, "running": account.StatusPENDING,
		"completed": account.StatusPENDING, "failed": account.StatusERROR, "cancel": account.StatusDISABLED,
		"final_failed": account.StatusERROR, "register": account.StatusPENDING, "registering": account.StatusPENDING,
		"registered": account.StatusPENDING, "register_failed": account.StatusERROR, "profile": account.StatusPENDING,
		"profiling": account.StatusPENDING, "profiled": account.StatusPENDING, "profile_failed": account.StatusERROR,
		"connect": account.StatusPENDING, "connecting": account.StatusPENDING, "connect_failed": account.StatusERROR,
		"active": account.StatusACTIVE, "inactive": account.StatusINACTIVE, "banned": account.StatusBANNED,
		"dead": account.StatusDEAD,
	}
	for status, stored := range want {
		t.Run(status, func(t *testing.T) {
			f.must(t, http.MethodPut, "/accounts/"+f.account.UUID.String(), f.worker1, `{"status":"`+status+`"}`, "")
			a := f.srv.App.Store.Client.Account.GetX(f.ctxA, f.account.ID)
			if a.Status != stored || a.ExternalStatus != status {
				t.Errorf("stored status %s external %q, want %s", a.Status, a.ExternalStatus, stored)
			}
			if got := f.getAccount(t, f.worker1)["status"]; got != status {
				t.Errorf("GET answers status %q", got)
			}
		})
	}
}
