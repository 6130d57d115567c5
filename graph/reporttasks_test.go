package graph_test

import (
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/server/accounts"
	"github.com/switchboardhq/switchboard/server/posts"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/store/storetest"
	"github.com/switchboardhq/switchboard/server/tasks"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

const (
	createLikes = `mutation($n: [NewTaskInput!]!) { createTasks(input: {tasks: $n}) { tasks { id } } }`
	claimAll    = `mutation { claimTasks(input: {limit: 10}) { leases { token expiresAt task { id } } } }`
	reportTasks = `mutation($r: [TaskReportInput!]!) { reportTasks(input: {reports: $r}) {
		results { taskId task { id status error result leaseExpiresAt } error { code message field } } } }`
)

type lease struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expiresAt"`
	Task      struct {
		ID string `json:"id"`
	} `json:"task"`
}

type reportResult struct {
	TaskID string `json:"taskId"`
	Task   *struct {
		ID             string         `json:"id"`
		Status         string         `json:"status"`
		Error          string         `json:"error"`
		Result         map[string]any `json:"result"`
		LeaseExpiresAt *time.Time     `json:"leaseExpiresAt"`
	} `json:"task"`
	Error *struct {
		Code    string  `json:"code"`
		Message string  `json:"message"`
		Field   *string `json:"field"`
	} `json:"error"`
}

// workerWithLeases makes a user of its own workspace with n LIKE tasks
// claimed by a new worker key, and returns the key and the leases.
func workerWithLeases(t *testing.T, srv *testkit.Server, name string, n int) (string, []lease) {
	t.Helper()
	u := srv.CreateUser(t, name, viewer.RoleMember, name)
	session := srv.Login(t, name)
	key := srv.APIKey(t, u, viewer.ScopeWorker)
	in := make([]map[string]any, n)
	for i := range in {
		in[i] = map[string]any{"kind": "LIKE"}
	}
	srv.MustGraphQL(t, session, createLikes, map[string]any{"n": in}, &struct{}{})
	var claimed struct {
		ClaimTasks struct{ Leases []lease } `json:"claimTasks"`
	}
	srv.MustGraphQL(t, key, claimAll, nil, &claimed)
	if len(claimed.ClaimTasks.Leases) != n {
		t.Fatalf("claimed %d of %d tasks", len(claimed.ClaimTasks.Leases), n)
	}
	return key, claimed.ClaimTasks.Leases
}

// TestReportTasksAnswersEachReportOnItsOwn: one reportTasks carries
// reports that are recorded and reports that are refused, each refused one
// answered with the code and field a single mutation would have given,
// while the others are recorded.
func TestReportTasksAnswersEachReportOnItsOwn(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		key, ls := workerWithLeases(t, srv, "rita", 4)
		_, foreign := workerWithLeases(t, srv, "mallory", 1)

		item := func(l lease, outcome string, extra map[string]any) map[string]any {
			m := map[string]any{"taskId": l.Task.ID, "leaseToken": l.Token, "outcome": outcome}
			for k, v := range extra {
				m[k] = v
			}
			return m
		}
		unknown := lease{Token: "x"}
		unknown.Task.ID = "999999999"
		stolen := ls[2]
		stolen.Token = "not the token"

		cases := []struct {
			name   string
			report map[string]any
			// status is the task's status in the answer; code and field
			// the refusal's.
			status, code, field string
		}{
			// A task reported twice is answered, both times, as the
			// batch left it: what was committed.
			{"start", item(ls[0], "START", nil), "COMPLETED", "", ""},
			{"complete after start in the same batch", item(ls[0], "COMPLETE", map[string]any{"result": map[string]any{"url": "https://example.invalid/1"}}), "COMPLETED", "", ""},
			{"heartbeat", item(ls[1], "HEARTBEAT", nil), "ASSIGNED", "", ""},
			{"no lease", item(stolen, "START", nil), "", "CONFLICT", ""},
			{"result not of the kind's type", item(ls[3], "COMPLETE", map[string]any{"result": map[string]any{"count": "many"}}), "", "BAD_USER_INPUT", "result.count"},
			{"fail for good", item(ls[3], "FAIL", map[string]any{"error": map[string]any{"code": "ACCOUNT_BANNED", "message": "banned", "retryable": false}}), "FAILED", "", ""},
			{"another workspace's task", item(foreign[0], "START", nil), "", "NOT_FOUND", ""},
			{"unknown task", item(unknown, "START", nil), "", "NOT_FOUND", ""},
			{"fail without an error", item(ls[2], "FAIL", nil), "", "BAD_USER_INPUT", "error"},
			{"result on a start", item(ls[2], "START", map[string]any{"result": map[string]any{}}), "", "BAD_USER_INPUT", "result"},
		}
		reports := make([]map[string]any, len(cases))
		for i, c := range cases {
			reports[i] = c.report
		}
		var out struct {
			ReportTasks struct{ Results []reportResult } `json:"reportTasks"`
		}
		srv.MustGraphQL(t, key, reportTasks, map[string]any{"r": reports}, &out)
		if len(out.ReportTasks.Results) != len(cases) {
			t.Fatalf("%d results for %d reports", len(out.ReportTasks.Results), len(cases))
		}
		for i, c := range cases {
			got := out.ReportTasks.Results[i]
			if got.TaskID != c.report["taskId"] {
				t.Errorf("%s: answered for task %s, want %s", c.name, got.TaskID, c.report["taskId"])
			}
			switch {
			case c.code != "":
				if got.Error == nil || got.Task != nil {
					t.Errorf("%s: got task %+v, want a %s refusal", c.name, got.Task, c.code)
					continue
				}
				if got.Error.Code != c.code || got.Error.Message == "" || (c.field != "") != (got.Error.Field != nil) ||
					(got.Error.Field != nil && *got.Error.Field != c.field) {
					t.Errorf("%s: refused with %+v (field %v), want %s on field %q", c.name, *got.Error, got.Error.Field, c.code, c.field)
				}
			case got.Error != nil:
				t.Errorf("%s: refused with %+v", c.name, *got.Error)
			case got.Task.Status != c.status:
				t.Errorf("%s: task %s, want %s", c.name, got.Task.Status, c.status)
			}
		}
		if r := out.ReportTasks.Results[1].Task; r != nil && r.Result["url"] != "https://example.invalid/1" {
			t.Errorf("completed with result %v", r.Result)
		}
		if r := out.ReportTasks.Results[2].Task; r != nil && !r.LeaseExpiresAt.After(ls[1].ExpiresAt) {
			t.Errorf("heartbeat left the lease at %v (was %v)", r.LeaseExpiresAt, ls[1].ExpiresAt)
		}
		if r := out.ReportTasks.Results[5].Task; r != nil && r.Error != "ACCOUNT_BANNED: banned" {
			t.Errorf("failed with error %q, want the code before the message", r.Error)
		}

		// What was refused was not written: the task without a valid
		// report is still assigned, and its lease still works.
		var again struct {
			ReportTasks struct{ Results []reportResult } `json:"reportTasks"`
		}
		srv.MustGraphQL(t, key, reportTasks, map[string]any{"r": []map[string]any{item(ls[2], "START", nil)}}, &again)
		if r := again.ReportTasks.Results[0]; r.Error != nil || r.Task.Status != "RUNNING" {
			t.Errorf("starting the untouched task: %+v %+v", r.Task, r.Error)
		}
	})
}

// TestReportTasksIsForWorkerKeysOnly: an api-scope key and a session are
// refused as a whole, and so is a batch over the bound.
func TestReportTasksIsForWorkerKeysOnly(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		key, ls := workerWithLeases(t, srv, "wanda", 1)
		u := srv.CreateUser(t, "apiuser", viewer.RoleMember, "apiuser")
		one := []map[string]any{{"taskId": ls[0].Task.ID, "leaseToken": ls[0].Token, "outcome": "START"}}
		tooMany := make([]map[string]any, tasks.MaxReports+1)
		for i := range tooMany {
			tooMany[i] = one[0]
		}
		for _, c := range []struct {
			name, token string
			reports     []map[string]any
			code, field string
		}{
			{"api-scope key", srv.APIKey(t, u, viewer.ScopeAPI), one, "FORBIDDEN", ""},
			{"session", srv.Login(t, "apiuser"), one, "FORBIDDEN", ""},
			{"api-scope key, nothing to report", srv.APIKey(t, u, viewer.ScopeAPI), []map[string]any{}, "FORBIDDEN", ""},
			{fmt.Sprintf("%d reports", len(tooMany)), key, tooMany, "BAD_USER_INPUT", "reports"},
		} {
			r := srv.GraphQL(t, c.token, reportTasks, map[string]any{"r": c.reports})
			if r.Code() != c.code {
				t.Errorf("%s: code %q (%+v), want %s", c.name, r.Code(), r.Errors, c.code)
				continue
			}
			if f, _ := r.Errors[0].Extensions["field"].(string); f != c.field {
				t.Errorf("%s: field %q, want %q", c.name, f, c.field)
			}
		}
	})
}

// nativeStatementBudget is how many SQL statements one post task may cost
// on the native worker path — its share of a claim of 50 and of one
// reportTasks starting and completing the 50, with the roll-ups into their
// posts, auth, logs and events — counted over every statement the server
// sends.
const nativeStatementBudget = 0.5

// TestNativeWorkerLoopStaysWithinStatementBudget drains 200 post tasks (4
// posts × 50 accounts, fanned out as the scheduler does) with two native
// workers — claimTasks(limit: 50), then one reportTasks with a START and a
// COMPLETE per task — and counts the statements the server ran.
func TestNativeWorkerLoopStaysWithinStatementBudget(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st0 *store.Store) {
		t.Parallel()
		st, count := storetest.Count(st0)
		srv := testkit.StartServer(t, st)
		u := srv.CreateUser(t, "nina", viewer.RoleMember, "nina")
		ctx := testkit.ViewerContext(t.Context(), u)
		key := srv.APIKey(t, u, viewer.ScopeWorker)
		const nAccounts, nPosts, workers = 50, 4, 2
		accIDs := make([]int, nAccounts)
		for i := range accIDs {
			a, err := srv.App.Accounts.Create(ctx, accounts.CreateInput{Platform: account.PlatformOther, Username: fmt.Sprintf("budget%d", i)})
			if err != nil {
				t.Fatalf("create account: %v", err)
			}
			accIDs[i] = a.ID
		}
		later := time.Now().Add(time.Hour)
		for range nPosts {
			title, body := "Budget", "<p>budget</p>"
			p, err := srv.App.Posts.Create(ctx, posts.CreateInput{Title: &title, Body: &body, AccountIDs: accIDs, ScheduledAt: &later})
			if err != nil {
				t.Fatalf("create post: %v", err)
			}
			if moved, err := srv.App.Posts.FanOut(t.Context(), p.ID, u.WorkspaceID); err != nil || !moved {
				t.Fatalf("fan out post: moved %v, %v", moved, err)
			}
		}
		// Warm the key's cached lookup first.
		srv.MustGraphQL(t, key, `{ viewer { __typename } }`, nil, &struct{}{})
		count.Reset()
		var (
			done atomic.Int64
			wg   sync.WaitGroup
		)
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					var claimed struct {
						ClaimTasks struct{ Leases []lease } `json:"claimTasks"`
					}
					r := srv.GraphQL(t, key, `mutation { claimTasks(input: {limit: 50}) { leases { token task { id } } } }`, nil)
					if len(r.Errors) > 0 || json.Unmarshal(r.Data, &claimed) != nil {
						t.Errorf("claim: %+v", r.Errors)
						return
					}
					ls := claimed.ClaimTasks.Leases
					if len(ls) == 0 {
						return
					}
					var reports []map[string]any
					for _, l := range ls {
						reports = append(reports,
							map[string]any{"taskId": l.Task.ID, "leaseToken": l.Token, "outcome": "START"},
							map[string]any{"taskId": l.Task.ID, "leaseToken": l.Token, "outcome": "COMPLETE", "result": map[string]any{"url": "https://example.invalid/" + l.Task.ID}})
					}
					var out struct {
						ReportTasks struct{ Results []reportResult } `json:"reportTasks"`
					}
					r = srv.GraphQL(t, key, reportTasks, map[string]any{"r": reports})
					if len(r.Errors) > 0 || json.Unmarshal(r.Data, &out) != nil {
						t.Errorf("report: %+v", r.Errors)
						return
					}
					for _, res := range out.ReportTasks.Results {
						if res.Error != nil {
							t.Errorf("report refused: %+v", *res.Error)
							return
						}
					}
					done.Add(int64(len(ls)))
				}
			}()
		}
		wg.Wait()
		if done.Load() != nAccounts*nPosts {
			t.Fatalf("completed %d tasks, want %d", done.Load(), nAccounts*nPosts)
		}
		per := float64(count.Statements()) / float64(done.Load())
		t.Logf("%s: %.2f statements and %.3f commits per task\n%s", st.Driver.Dialect(), per, float64(count.Commits())/float64(done.Load()), count)
		if per > nativeStatementBudget {
			t.Errorf("%.2f statements per task, budget %.2f", per, nativeStatementBudget)
		}
	})
}
