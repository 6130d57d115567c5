package app_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

const (
	createTasksMutation = `mutation($i: CreateTasksInput!) { createTasks(input: $i) { tasks { id kind status actionType } } }`
	claimMutation       = `mutation($i: ClaimTasksInput!) { claimTasks(input: $i) { leases { token expiresAt task { id kind status attempts leaseOwner } } } }`
	startMutation       = `mutation($i: TaskLeaseInput!) { startTask(input: $i) { task { id status startedAt } } }`
	heartbeatMutation   = `mutation($i: TaskLeaseInput!) { heartbeatTask(input: $i) { task { id leaseExpiresAt } } }`
	completeMutation    = `mutation($i: CompleteTaskInput!) { completeTask(input: $i) { task { id status result } } }`
	failMutation        = `mutation($i: FailTaskInput!) { failTask(input: $i) { task { id status error attempts } } }`
	retryMutation       = `mutation($id: ID!) { retryTask(input: {id: $id}) { task { id status attempts error } } }`
	cancelMutation      = `mutation($id: ID!) { cancelTask(input: {id: $id}) { task { id status } } }`
)

type gqlTask struct {
	ID         string         `json:"id"`
	Kind       string         `json:"kind"`
	Status     string         `json:"status"`
	ActionType string         `json:"actionType"`
	Attempts   int            `json:"attempts"`
	LeaseOwner string         `json:"leaseOwner"`
	Error      string         `json:"error"`
	Result     map[string]any `json:"result"`
}

type gqlLease struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expiresAt"`
	Task      gqlTask   `json:"task"`
}

func createTasks(t *testing.T, srv *testkit.Server, token string, kinds ...string) []gqlTask {
	t.Helper()
	in := make([]map[string]any, len(kinds))
	for i, k := range kinds {
		in[i] = map[string]any{"kind": k}
	}
	var out struct {
		CreateTasks struct {
			Tasks []gqlTask `json:"tasks"`
		} `json:"createTasks"`
	}
	srv.MustGraphQL(t, token, createTasksMutation, map[string]any{"i": map[string]any{"tasks": in}}, &out)
	return out.CreateTasks.Tasks
}

func claimTasks(t *testing.T, srv *testkit.Server, key string, kinds []string, limit int) []gqlLease {
	t.Helper()
	var out struct {
		ClaimTasks struct {
			Leases []gqlLease `json:"leases"`
		} `json:"claimTasks"`
	}
	srv.MustGraphQL(t, key, claimMutation, map[string]any{"i": map[string]any{"kinds": kinds, "limit": limit, "worker": "proc-1"}}, &out)
	return out.ClaimTasks.Leases
}

func TestWorkerKeyRunsTheNativeProtocolOverGraphQL(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		u := srv.CreateUser(t, "wally", viewer.RoleMember, "wally-agency")
		session := srv.Login(t, "wally")
		key := srv.APIKey(t, u, viewer.ScopeWorker)

		created := createTasks(t, srv, session, "LIKE", "COMMENT", "DM")
		if created[0].ActionType != "like" || created[2].ActionType != "message" || created[0].Status != "PENDING" {
			t.Fatalf("created %+v, want pending tasks with derived action types", created)
		}

		// Only worker keys hold leases.
		wantError(t, srv.GraphQL(t, session, claimMutation, map[string]any{"i": map[string]any{"limit": 1}}), "FORBIDDEN", "")
		// Worker keys still may not run other mutations.
		wantError(t, srv.GraphQL(t, key, createTasksMutation, map[string]any{"i": map[string]any{"tasks": []any{map[string]any{"kind": "LIKE"}}}}), "FORBIDDEN", "")

		leases := claimTasks(t, srv, key, []string{"LIKE", "COMMENT"}, 5)
		if len(leases) != 2 {
			t.Fatalf("claimed %d tasks of kinds LIKE, COMMENT; want 2", len(leases))
		}
		l := leases[0]
		if l.Task.Status != "ASSIGNED" || l.Task.Attempts != 1 || len(l.Token) != 64 || time.Until(l.ExpiresAt) < 5*time.Minute {
			t.Fatalf("lease %+v: want an assigned task, attempt 1, a 64-hex token, a 10-minute lease", l)
		}
		lease := map[string]any{"id": l.Task.ID, "token": l.Token}

		// A session cannot use a worker's token.
		wantError(t, srv.GraphQL(t, session, startMutation, map[string]any{"i": lease}), "FORBIDDEN", "")
		var started struct {
			StartTask struct{ Task gqlTask } `json:"startTask"`
		}
		srv.MustGraphQL(t, key, startMutation, map[string]any{"i": lease}, &started)
		if started.StartTask.Task.Status != "RUNNING" {
			t.Fatalf("started task is %s", started.StartTask.Task.Status)
		}
		var hb struct {
			HeartbeatTask struct{ Task gqlTask } `json:"heartbeatTask"`
		}
		srv.MustGraphQL(t, key, heartbeatMutation, map[string]any{"i": lease}, &hb)
		wantError(t, srv.GraphQL(t, key, completeMutation, map[string]any{"i": map[string]any{"id": l.Task.ID, "token": "forged"}}), "CONFLICT", "")
		var done struct {
			CompleteTask struct{ Task gqlTask } `json:"completeTask"`
		}
		result := map[string]any{"postUrl": "https://example.invalid/p/1"}
		srv.MustGraphQL(t, key, completeMutation, map[string]any{"i": map[string]any{"id": l.Task.ID, "token": l.Token, "result": result}}, &done)
		if done.CompleteTask.Task.Status != "COMPLETED" || done.CompleteTask.Task.Result["postUrl"] != result["postUrl"] {
			t.Fatalf("completed task %+v", done.CompleteTask.Task)
		}
		// Repeating the same report is harmless.
		srv.MustGraphQL(t, key, completeMutation, map[string]any{"i": map[string]any{"id": l.Task.ID, "token": l.Token, "result": result}}, &done)

		// A final failure, then a retry by the user, then a cancel.
		f := leases[1]
		var failed struct {
			FailTask struct{ Task gqlTask } `json:"failTask"`
		}
		srv.MustGraphQL(t, key, failMutation, map[string]any{"i": map[string]any{"id": f.Task.ID, "token": f.Token, "error": "account banned", "retryable": false}}, &failed)
		if failed.FailTask.Task.Status != "FAILED" || failed.FailTask.Task.Error != "account banned" {
			t.Fatalf("failed task %+v", failed.FailTask.Task)
		}
		wantError(t, srv.GraphQL(t, key, failMutation, map[string]any{"i": map[string]any{"id": f.Task.ID, "token": f.Token, "error": "again"}}), "CONFLICT", "")
		var retried struct {
			RetryTask struct{ Task gqlTask } `json:"retryTask"`
		}
		srv.MustGraphQL(t, session, retryMutation, map[string]any{"id": f.Task.ID}, &retried)
		if r := retried.RetryTask.Task; r.Status != "PENDING" || r.Attempts != 0 || r.Error != "" {
			t.Fatalf("retried task %+v, want pending with attempts and error reset", r)
		}
		wantError(t, srv.GraphQL(t, session, retryMutation, map[string]any{"id": l.Task.ID}), "CONFLICT", "")
		var cancelled struct {
			CancelTask struct{ Task gqlTask } `json:"cancelTask"`
		}
		srv.MustGraphQL(t, session, cancelMutation, map[string]any{"id": f.Task.ID}, &cancelled)
		if cancelled.CancelTask.Task.Status != "CANCELLED" {
			t.Fatalf("cancelled task is %s", cancelled.CancelTask.Task.Status)
		}
		wantError(t, srv.GraphQL(t, session, cancelMutation, map[string]any{"id": f.Task.ID}), "CONFLICT", "")
		if got := claimTasks(t, srv, key, []string{"COMMENT"}, 5); len(got) != 0 {
			t.Fatalf("claimed a cancelled task: %+v", got)
		}

		// Another workspace sees none of it.
		other := srv.UserToken(t, "mallory")
		wantError(t, srv.GraphQL(t, other, retryMutation, map[string]any{"id": f.Task.ID}), "NOT_FOUND", "")
		wantError(t, srv.GraphQL(t, other, cancelMutation, map[string]any{"id": created[2].ID}), "NOT_FOUND", "")
	})
}

func TestCreateTasksIsAllOrNothing(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		session := srv.UserToken(t, "olive")
		in := []any{map[string]any{"kind": "LIKE"}, map[string]any{"kind": "LIKE", "accountID": "999999"}}
		wantError(t, srv.GraphQL(t, session, createTasksMutation, map[string]any{"i": map[string]any{"tasks": in}}), "BAD_USER_INPUT", "accountID")
		var out struct {
			Tasks struct {
				TotalCount int `json:"totalCount"`
			} `json:"tasks"`
		}
		srv.MustGraphQL(t, session, `{ tasks { totalCount } }`, nil, &out)
		if out.Tasks.TotalCount != 0 {
			t.Fatalf("a rejected batch left %d tasks", out.Tasks.TotalCount)
		}
	})
}

func TestTaskAvailableWakesAWorkerWhenWorkArrives(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		u := srv.CreateUser(t, "wendy", viewer.RoleMember, "wendy-agency")
		session := srv.Login(t, "wendy")
		key := srv.APIKey(t, u, viewer.ScopeWorker)

		ws := testkit.Dial(t, srv.URL, testkit.SubprotocolTransportWS, http.Header{})
		if err := ws.Init(map[string]any{"X-API-Key": key}); err != nil {
			t.Fatal(err)
		}
		subStart(t, srv, ws, 1, "1", `subscription { taskAvailable(kinds: [COMMENT]) { id kind status } }`, nil)
		createTasks(t, srv, session, "LIKE", "COMMENT")
		var got struct {
			TaskAvailable gqlTask `json:"taskAvailable"`
		}
		if err := json.Unmarshal(ws.ExpectData("1", 5*time.Second), &got); err != nil {
			t.Fatal(err)
		}
		if got.TaskAvailable.Kind != "COMMENT" || got.TaskAvailable.Status != "PENDING" {
			t.Fatalf("taskAvailable delivered %+v, want the pending COMMENT", got.TaskAvailable)
		}
		if m, err := ws.Next(200 * time.Millisecond); err == nil {
			t.Fatalf("unexpected second message %s (the LIKE does not match)", m)
		}
	})
}

// A task enqueued for later (or deferred by a cooldown, or backing off
// before a retry) becomes claimable with no transition to announce it; the
// server's due announcer wakes the waiting worker then, not before.
func TestTaskAvailableWakesAWorkerWhenADeferredTaskBecomesDue(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		srv := testkit.StartServer(t, st)
		u := srv.CreateUser(t, "dora", viewer.RoleMember, "dora-agency")
		session := srv.Login(t, "dora")
		key := srv.APIKey(t, u, viewer.ScopeWorker)

		ws := testkit.Dial(t, srv.URL, testkit.SubprotocolTransportWS, http.Header{})
		if err := ws.Init(map[string]any{"X-API-Key": key}); err != nil {
			t.Fatal(err)
		}
		subStart(t, srv, ws, 1, "1", `subscription { taskAvailable { id notBefore } }`, nil)
		due := time.Now().Add(2 * time.Second)
		var created struct {
			CreateTasks struct {
				Tasks []gqlTask `json:"tasks"`
			} `json:"createTasks"`
		}
		srv.MustGraphQL(t, session, createTasksMutation, map[string]any{"i": map[string]any{"tasks": []map[string]any{
			{"kind": "LIKE", "notBefore": due.Format(time.RFC3339Nano)},
		}}}, &created)
		if m, err := ws.Next(time.Until(due) - 500*time.Millisecond); err == nil {
			t.Fatalf("announced before it was due: %s", m)
		}
		var got struct {
			TaskAvailable gqlTask `json:"taskAvailable"`
		}
		if err := json.Unmarshal(ws.ExpectData("1", 5*time.Second), &got); err != nil {
			t.Fatal(err)
		}
		if got.TaskAvailable.ID != created.CreateTasks.Tasks[0].ID {
			t.Fatalf("taskAvailable delivered %+v, want task %s", got.TaskAvailable, created.CreateTasks.Tasks[0].ID)
		}
		if late := time.Since(due); late < 0 || late > 3*time.Second {
			t.Fatalf("announced %s after its not_before", late)
		}
	})
}
