package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/job"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/ent/user"
	"github.com/switchboardhq/switchboard/server/config"
	"github.com/switchboardhq/switchboard/server/events"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// subEventTimeout bounds how long a committed change may take to reach a
// subscriber. Delivery normally takes milliseconds; the margin is for -race
// on a loaded two-core machine.
const subEventTimeout = 5 * time.Second

// subBundle is what a subscription test works with: a server, a user in its
// own workspace and an initialised socket of that user.
type subBundle struct {
	srv   *testkit.Server
	user  *ent.User
	token string
	ws    *testkit.WSClient
}

// subSetup starts a server on a fresh store of backend b, creates user name and
// opens an authenticated graphql-transport-ws socket for it.
func subSetup(t *testing.T, b testkit.Backend, name string) *subBundle {
	t.Helper()
	return subSession(t, subServer(t, b), name)
}

// subSession creates user name on srv and opens an authenticated
// graphql-transport-ws socket for it. Subtests that share a server run one
// after the other, so it first waits for the previous one's subscriptions to
// be released: the hub's count must start at 0 for subStart to be exact.
func subSession(t *testing.T, srv *testkit.Server, name string) *subBundle {
	t.Helper()
	subWaitActive(t, srv, 0, nil)
	u, tok := subUser(t, srv, name)
	ws := testkit.Dial(t, srv.URL, testkit.SubprotocolTransportWS, nil)
	if err := ws.Init(testkit.BearerPayload(tok)); err != nil {
		t.Fatalf("connection_init: %v", err)
	}
	return &subBundle{srv: srv, user: u, token: tok, ws: ws}
}

// subServer starts a server on a fresh store of backend b.
func subServer(t *testing.T, b testkit.Backend, opts ...func(*config.Config)) *testkit.Server {
	t.Helper()
	return testkit.StartServer(t, testkit.Open(t, b), opts...)
}

// subUser creates a member in a workspace of its own and signs a session
// token for it. It writes the rows directly and never hashes a password:
// bcrypt at the default cost takes seconds under -race, and these tests are
// about what a token may see, not about signing in
// (TestSubscriptionAcrossReplicas keeps the real CreateUser and Login).
func subUser(t *testing.T, srv *testkit.Server, name string) (*ent.User, string) {
	t.Helper()
	ctx := subAllow(t)
	c := srv.App.Store.Client
	w, err := c.Workspace.Create().SetName(name).Save(ctx)
	if err != nil {
		t.Fatalf("create workspace %s: %v", name, err)
	}
	u, err := c.User.Create().
		SetWorkspaceID(w.ID).
		SetUsername(name).
		SetPasswordHash("!no password: test user signs in with a token only").
		SetRole(user.RoleMember).
		Save(ctx)
	if err != nil {
		t.Fatalf("create user %s: %v", name, err)
	}
	tok, _, err := srv.App.Auth.IssueToken(u)
	if err != nil {
		t.Fatalf("issue token for %s: %v", name, err)
	}
	return u, tok
}

// subEachBackend runs fn as a parallel subtest per backend.
func subEachBackend(t *testing.T, fn func(t *testing.T, b testkit.Backend)) {
	t.Helper()
	for _, b := range testkit.Backends() {
		t.Run(string(b), func(t *testing.T) {
			t.Parallel()
			fn(t, b)
		})
	}
}

// subStart starts operation id on ws and waits until the server's hub
// holds want subscriptions, so a change made next cannot be missed. If the
// subscription never registers, the failure shows what the server said.
func subStart(t *testing.T, srv *testkit.Server, ws *testkit.WSClient, want int, id, query string, vars map[string]any) {
	t.Helper()
	ws.Subscribe(id, query, vars)
	subWaitActive(t, srv, want, ws)
}

// subWaitActive waits (without sleeping) for the hub to hold exactly
// want subscriptions.
func subWaitActive(t *testing.T, srv *testkit.Server, want int, ws *testkit.WSClient) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), subEventTimeout)
	defer cancel()
	if err := srv.App.Live.WaitForSubscribers(ctx, want); err != nil {
		said := "nothing"
		if ws != nil {
			if m, err := ws.Next(10 * time.Millisecond); err == nil {
				said = m.String()
			} else {
				said = err.Error()
			}
		}
		t.Fatalf("hub: %v; the socket said: %s", err, said)
	}
}

// subGQL runs a mutation or query over HTTP and decodes its data into v.
func subGQL(t *testing.T, srv *testkit.Server, token, query string, vars map[string]any, v any) {
	t.Helper()
	srv.MustGraphQL(t, token, query, vars, v)
}

type subAccount struct {
	ID       string `json:"id"`
	Username string `json:"username"`
	Status   string `json:"status"`
}

const (
	subMutCreateAccount = `mutation($in: CreateAccountInput!) {
		createAccount(input: $in) { account { id username status } } }`
	subMutUpdateAccount = `mutation($in: UpdateAccountInput!) {
		updateAccount(input: $in) { account { id username status } } }`
	subMutCreatePost = `mutation($in: CreatePostInput!) { createPost(input: $in) { post { id title } } }`
	subMutUpdatePost = `mutation($in: UpdatePostInput!) { updatePost(input: $in) { post { id title } } }`
	subMutCancelJob  = `mutation($id: ID!) { cancelJob(input: {id: $id}) { job { id status } cancelledTasks } }`
)

func subCreateAccount(t *testing.T, srv *testkit.Server, token, username, status string) subAccount {
	t.Helper()
	in := map[string]any{"platform": "INSTAGRAM", "username": username}
	if status != "" {
		in["status"] = status
	}
	var out struct {
		CreateAccount struct{ Account subAccount } `json:"createAccount"`
	}
	subGQL(t, srv, token, subMutCreateAccount, map[string]any{"in": in}, &out)
	return out.CreateAccount.Account
}

func subSetAccountStatus(t *testing.T, srv *testkit.Server, token, id, status string) {
	t.Helper()
	var out json.RawMessage
	subGQL(t, srv, token, subMutUpdateAccount, map[string]any{"in": map[string]any{"id": id, "status": status}}, &out)
}

// subExpectAccount waits for the next accountUpdated result of operation id.
func subExpectAccount(t *testing.T, ws *testkit.WSClient, id string) subAccount {
	t.Helper()
	var out struct {
		AccountUpdated subAccount `json:"accountUpdated"`
	}
	subDecode(t, ws.ExpectData(id, subEventTimeout), &out)
	return out.AccountUpdated
}

func subDecode(t *testing.T, raw json.RawMessage, v any) {
	t.Helper()
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
}

// subAllow is a system context that may write any workspace, for rows these
// tests create directly: users (see subUser), and jobs and tasks, which the
// GraphQL API has no mutation for (they come from workers and schedules).
func subAllow(t *testing.T) context.Context {
	return privacy.DecisionContext(t.Context(), privacy.Allow)
}

func subCreateJob(t *testing.T, srv *testkit.Server, workspaceID int) *ent.Job {
	t.Helper()
	j, err := srv.App.Store.Client.Job.Create().
		SetKind(job.KindBULK).
		SetWorkspaceID(workspaceID).
		Save(subAllow(t))
	if err != nil {
		t.Fatalf("create job: %v", err)
	}
	return j
}

func subCreateTask(t *testing.T, srv *testkit.Server, workspaceID, jobID int, status task.Status) *ent.Task {
	t.Helper()
	tk, err := srv.App.Store.Client.Task.Create().
		SetKind(task.KindLIKE).
		SetWorkspaceID(workspaceID).
		SetJobID(jobID).
		SetStatus(status).
		Save(subAllow(t))
	if err != nil {
		t.Fatalf("create task: %v", err)
	}
	return tk
}

func subID(n int) string { return strconv.Itoa(n) }

// subPublish announces rows changed outside a domain service (as a worker's
// report would), through the server's own bus.
func subPublish(t *testing.T, srv *testkit.Server, workspaceID int, topic events.Topic, ids ...int) {
	t.Helper()
	evs := make([]events.Event, 0, len(ids))
	for _, n := range ids {
		evs = append(evs, events.Event{Topic: topic, WorkspaceID: workspaceID, ID: n, Op: events.OpUpdated})
	}
	if err := srv.App.Bus.Publish(t.Context(), evs...); err != nil {
		t.Fatalf("publish: %v", err)
	}
}

// subCollect reads n results and returns them grouped by operation id, in the
// order each operation received them, as summarised by key.
func subCollect(t *testing.T, ws *testkit.WSClient, n int, key func(data json.RawMessage) string) map[string][]string {
	t.Helper()
	got := map[string][]string{}
	for i := range n {
		m, err := ws.Next(subEventTimeout)
		if err != nil {
			t.Fatalf("result %d of %d (have %v): %v", i+1, n, got, err)
		}
		if !m.IsData() {
			t.Fatalf("result %d of %d (have %v): unexpected %s", i+1, n, got, m)
		}
		var r testkit.GQLResponse
		subDecode(t, m.Payload, &r)
		if len(r.Errors) > 0 {
			t.Fatalf("result %s: graphql errors %+v", m, r.Errors)
		}
		got[m.ID] = append(got[m.ID], key(r.Data))
	}
	return got
}

// TestSubscribeAccountUpdated follows accounts over graphql-transport-ws
// with the token in connection_init: a creation and an update made over
// HTTP both arrive, as committed.
func TestSubscribeAccountUpdated(t *testing.T) {
	t.Parallel()
	subEachBackend(t, func(t *testing.T, b testkit.Backend) {
		x := subSetup(t, b, "alice")
		subStart(t, x.srv, x.ws, 1, "acc", `subscription { accountUpdated { id username status } }`, nil)

		created := subCreateAccount(t, x.srv, x.token, "alice_ig", "")
		if got := subExpectAccount(t, x.ws, "acc"); got != created {
			t.Fatalf("after createAccount got %+v, want %+v", got, created)
		}

		subSetAccountStatus(t, x.srv, x.token, created.ID, "ACTIVE")
		want := created
		want.Status = "ACTIVE"
		if got := subExpectAccount(t, x.ws, "acc"); got != want {
			t.Fatalf("after updateAccount got %+v, want %+v", got, want)
		}
	})
}

// TestSubscribeFilters checks each subscription's filter: a change that does
// not match is never sent. Events reach a subscriber in commit order, so a
// non-matching change followed by a matching one proves the filter when the
// first result is the matching one — no waiting for silence.
func TestSubscribeFilters(t *testing.T) {
	t.Parallel()
	subEachBackend(t, func(t *testing.T, b testkit.Backend) {
		srv := subServer(t, b) // shared; each subtest has its own workspace
		t.Run("accountUpdated statuses", func(t *testing.T) {
			x := subSession(t, srv, "carol")
			subStart(t, x.srv, x.ws, 1, "active",
				`subscription { accountUpdated(filter: {statuses: [ACTIVE]}) { id username status } }`, nil)

			// The follower reloads each row when it handles the event, so the
			// filter sees the row as it is then, not as the event's own
			// change left it. Each step therefore waits for its marker
			// before changing a row that a pending event might still reload.
			acc := subCreateAccount(t, x.srv, x.token, "carol_ig", "PENDING") // never ACTIVE until marked
			subSetAccountStatus(t, x.srv, x.token, acc.ID, "INACTIVE")
			subSetAccountStatus(t, x.srv, x.token, acc.ID, "DISABLED")
			marker := subCreateAccount(t, x.srv, x.token, "carol_x", "ACTIVE")
			if got := subExpectAccount(t, x.ws, "active"); got != marker {
				t.Fatalf("first result %+v, want the ACTIVE marker %+v: a non-matching change got through", got, marker)
			}

			subSetAccountStatus(t, x.srv, x.token, acc.ID, "ACTIVE")
			if got := subExpectAccount(t, x.ws, "active"); got.ID != acc.ID || got.Status != "ACTIVE" {
				t.Fatalf("got %+v, want %s turned ACTIVE", got, acc.ID)
			}

			// A row that leaves the filter is reported once more, as it
			// now is, so a dashboard can drop it; after that it is quiet.
			subSetAccountStatus(t, x.srv, x.token, marker.ID, "DISABLED")
			if got, want := subExpectAccount(t, x.ws, "active"), (subAccount{marker.ID, marker.Username, "DISABLED"}); got != want {
				t.Fatalf("got %+v, want %+v leaving the filter", got, want)
			}
			subSetAccountStatus(t, x.srv, x.token, marker.ID, "INACTIVE")
			last := subCreateAccount(t, x.srv, x.token, "carol_li", "ACTIVE")
			if got := subExpectAccount(t, x.ws, "active"); got != last {
				t.Fatalf("got %+v, want the last marker %+v: a change of a row outside the filter got through", got, last)
			}
		})

		t.Run("postUpdated ids", func(t *testing.T) {
			x := subSession(t, srv, "dave")
			type postData struct{ ID, Title string }
			mk := func(title string) postData {
				var out struct{ CreatePost struct{ Post postData } }
				subGQL(t, x.srv, x.token, subMutCreatePost, map[string]any{"in": map[string]any{"title": title}}, &out)
				return out.CreatePost.Post
			}
			// Creations are announced asynchronously on PostgreSQL, so
			// "created" events of posts made before the filtered operation
			// starts could still be on their way and reach it. Wait for
			// them on an unfiltered operation first.
			subStart(t, x.srv, x.ws, 1, "barrier", `subscription { postUpdated { id title } }`, nil)
			p1, p2 := mk("one"), mk("two")
			for _, p := range []postData{p1, p2} {
				var got struct{ PostUpdated postData }
				subDecode(t, x.ws.ExpectData("barrier", subEventTimeout), &got)
				if got.PostUpdated != p {
					t.Fatalf("barrier got %+v, want %+v", got.PostUpdated, p)
				}
			}
			x.ws.Complete("barrier")
			if m, err := x.ws.Next(subEventTimeout); err != nil || m.Type != "complete" || m.ID != "barrier" {
				t.Fatalf("after complete: got %s (%v)", m, err)
			}
			subWaitActive(t, x.srv, 0, x.ws)
			subStart(t, x.srv, x.ws, 1, "p",
				`subscription($ids: [ID!]) { postUpdated(filter: {ids: $ids}) { id title } }`,
				map[string]any{"ids": []string{p2.ID}})

			var ignored json.RawMessage
			subGQL(t, x.srv, x.token, subMutUpdatePost, map[string]any{"in": map[string]any{"id": p1.ID, "title": "one v2"}}, &ignored)
			mk("three")
			subGQL(t, x.srv, x.token, subMutUpdatePost, map[string]any{"in": map[string]any{"id": p2.ID, "title": "two v2"}}, &ignored)

			var got struct{ PostUpdated postData }
			subDecode(t, x.ws.ExpectData("p", subEventTimeout), &got)
			if want := (postData{ID: p2.ID, Title: "two v2"}); got.PostUpdated != want {
				t.Fatalf("got %+v, want %+v", got.PostUpdated, want)
			}
		})

		t.Run("jobUpdated via cancelJob", func(t *testing.T) {
			x := subSession(t, srv, "erin")
			j1 := subCreateJob(t, x.srv, x.user.WorkspaceID)
			j2 := subCreateJob(t, x.srv, x.user.WorkspaceID)
			subStart(t, x.srv, x.ws, 1, "all", `subscription { jobUpdated { id status } }`, nil)
			subStart(t, x.srv, x.ws, 2, "one", `subscription($id: ID) { jobUpdated(id: $id) { id status } }`,
				map[string]any{"id": subID(j2.ID)})
			subStart(t, x.srv, x.ws, 3, "processing",
				`subscription { jobUpdated(filter: {statuses: [PROCESSING]}) { id status } }`, nil)

			for _, j := range []*ent.Job{j1, j2} {
				var out struct {
					CancelJob struct {
						Job struct{ ID, Status string }
					}
				}
				subGQL(t, x.srv, x.token, subMutCancelJob, map[string]any{"id": subID(j.ID)}, &out)
				if out.CancelJob.Job.Status != "CANCELLED" {
					t.Fatalf("cancelJob %d: status %s", j.ID, out.CancelJob.Job.Status)
				}
			}

			// A marker published after the cancellations closes the
			// sequence: j3 turning PROCESSING. Each operation sees its
			// events in commit order, so a filtered-out event would take
			// the place of an expected one. (Re-publishing j2 would not
			// work as a marker: a subscriber still behind on j2 coalesces
			// both events into one reload.)
			j3 := subCreateJob(t, x.srv, x.user.WorkspaceID)
			if _, err := j3.Update().SetStatus(job.StatusPROCESSING).Save(subAllow(t)); err != nil {
				t.Fatal(err)
			}
			subPublish(t, x.srv, x.user.WorkspaceID, events.TopicJob, j3.ID)

			type jobData struct{ ID, Status string }
			got := subCollect(t, x.ws, 5, func(raw json.RawMessage) string {
				var r struct{ JobUpdated jobData }
				subDecode(t, raw, &r)
				return r.JobUpdated.ID + " " + r.JobUpdated.Status
			})
			c1, c2, p3 := subID(j1.ID)+" CANCELLED", subID(j2.ID)+" CANCELLED", subID(j3.ID)+" PROCESSING"
			want := map[string][]string{
				"all":        {c1, c2, p3},
				"one":        {c2},
				"processing": {p3},
			}
			if !maps.EqualFunc(got, want, slices.Equal) {
				t.Fatalf("results by operation:\n got %v\nwant %v", got, want)
			}
		})

		t.Run("taskUpdated via cancelJob", func(t *testing.T) {
			x := subSession(t, srv, "frank")
			ws := x.user.WorkspaceID
			j := subCreateJob(t, x.srv, ws)
			other := subCreateJob(t, x.srv, ws)
			pending := []*ent.Task{
				subCreateTask(t, x.srv, ws, j.ID, task.StatusPENDING),
				subCreateTask(t, x.srv, ws, j.ID, task.StatusPENDING),
			}
			running := subCreateTask(t, x.srv, ws, j.ID, task.StatusRUNNING) // a worker holds it: it finishes on its own
			subCreateTask(t, x.srv, ws, other.ID, task.StatusPENDING)
			subStart(t, x.srv, x.ws, 1, "t",
				`subscription($job: ID) { taskUpdated(filter: {jobID: $job}) { id status jobID error } }`,
				map[string]any{"job": subID(j.ID)})

			var out struct {
				CancelJob struct{ CancelledTasks int }
			}
			subGQL(t, x.srv, x.token, subMutCancelJob, map[string]any{"id": subID(j.ID)}, &out)
			if out.CancelJob.CancelledTasks != len(pending) {
				t.Fatalf("cancelledTasks = %d, want %d", out.CancelJob.CancelledTasks, len(pending))
			}
			// Cancelling the other job publishes its task too; the filter
			// keeps it out. It is committed before the marker below, so a
			// leak would arrive ahead of the marker.
			subGQL(t, x.srv, x.token, subMutCancelJob, map[string]any{"id": subID(other.ID)}, &out)

			var got []string
			for range pending {
				var r struct {
					TaskUpdated struct{ ID, Status, JobID, Error string }
				}
				subDecode(t, x.ws.ExpectData("t", subEventTimeout), &r)
				tu := r.TaskUpdated
				if tu.Status != "CANCELLED" || tu.JobID != subID(j.ID) || tu.Error == "" {
					t.Fatalf("taskUpdated %+v: want CANCELLED with an error, job %d", tu, j.ID)
				}
				got = append(got, tu.ID)
			}
			want := []string{subID(pending[0].ID), subID(pending[1].ID)}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("cancelled tasks %v, want %v", got, want)
			}
			// Marker: the running task completes. It is the next result,
			// so the other job's task (published before it) was filtered.
			if _, err := running.Update().SetStatus(task.StatusCOMPLETED).Save(subAllow(t)); err != nil {
				t.Fatal(err)
			}
			subPublish(t, x.srv, ws, events.TopicTask, running.ID)
			var r struct{ TaskUpdated struct{ ID, Status string } }
			subDecode(t, x.ws.ExpectData("t", subEventTimeout), &r)
			if r.TaskUpdated.ID != subID(running.ID) || r.TaskUpdated.Status != "COMPLETED" {
				t.Fatalf("after the cancelled tasks got %+v, want task %d COMPLETED", r.TaskUpdated, running.ID)
			}
		})
	})
}

// TestSubscribeHeaderAuth authenticates the socket with the upgrade
// request's Authorization header and an empty connection_init.
func TestSubscribeHeaderAuth(t *testing.T) {
	t.Parallel()
	for _, proto := range []string{testkit.SubprotocolTransportWS, testkit.SubprotocolLegacyWS} {
		t.Run(proto, func(t *testing.T) {
			t.Parallel()
			srv := subServer(t, testkit.SQLite)
			_, tok := subUser(t, srv, "gina")
			ws := testkit.Dial(t, srv.URL, proto, http.Header{"Authorization": {"Bearer " + tok}})
			if err := ws.Init(nil); err != nil {
				t.Fatalf("connection_init with header auth: %v", err)
			}
			subStart(t, srv, ws, 1, "1", `subscription { accountUpdated { id username status } }`, nil)
			acc := subCreateAccount(t, srv, tok, "gina_ig", "")
			if got := subExpectAccount(t, ws, "1"); got != acc {
				t.Fatalf("got %+v, want %+v", got, acc)
			}
		})
	}
}

// TestSubscribeLegacyGraphQLWS speaks the legacy graphql-ws protocol: start,
// data, stop, complete.
func TestSubscribeLegacyGraphQLWS(t *testing.T) {
	t.Parallel()
	subEachBackend(t, func(t *testing.T, b testkit.Backend) {
		srv := subServer(t, b)
		_, tok := subUser(t, srv, "hank")
		ws := testkit.Dial(t, srv.URL, testkit.SubprotocolLegacyWS, nil)
		if err := ws.Init(testkit.BearerPayload(tok)); err != nil {
			t.Fatalf("connection_init: %v", err)
		}
		subStart(t, srv, ws, 1, "1", `subscription { accountUpdated { id username status } }`, nil)
		acc := subCreateAccount(t, srv, tok, "hank_ig", "")
		m, err := ws.Next(subEventTimeout)
		if err != nil {
			t.Fatal(err)
		}
		if m.Type != "data" || m.ID != "1" {
			t.Fatalf("got %s, want a legacy data message for 1", m)
		}
		var r struct {
			Data struct{ AccountUpdated subAccount }
		}
		subDecode(t, m.Payload, &r)
		if r.Data.AccountUpdated != acc {
			t.Fatalf("got %+v, want %+v", r.Data.AccountUpdated, acc)
		}

		ws.Complete("1") // "stop"
		if m, err := ws.Next(subEventTimeout); err != nil || m.Type != "complete" || m.ID != "1" {
			t.Fatalf("after stop: got %s (%v), want complete for 1", m, err)
		}
		subWaitActive(t, srv, 0, ws)
	})
}

// TestWebSocketRefusesUnauthenticated closes sockets without valid
// credentials with 4403 before any operation can run.
func TestWebSocketRefusesUnauthenticated(t *testing.T) {
	t.Parallel()
	srv := subServer(t, testkit.SQLite)
	_, good := subUser(t, srv, "ivan")

	cases := []struct {
		name    string
		proto   string
		header  http.Header
		payload map[string]any
	}{
		{"no token", testkit.SubprotocolTransportWS, nil, nil},
		{"empty payload", testkit.SubprotocolTransportWS, nil, map[string]any{}},
		{"bad token in payload", testkit.SubprotocolTransportWS, nil, testkit.BearerPayload("not-a-token")},
		{"bad token in header", testkit.SubprotocolTransportWS, http.Header{"Authorization": {"Bearer not-a-token"}}, nil},
		{"bad payload beats good header", testkit.SubprotocolTransportWS,
			http.Header{"Authorization": {"Bearer " + good}}, testkit.BearerPayload(good + "x")},
		{"legacy no token", testkit.SubprotocolLegacyWS, nil, nil},
		{"legacy bad token", testkit.SubprotocolLegacyWS, nil, testkit.BearerPayload("not-a-token")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ws := testkit.Dial(t, srv.URL, tc.proto, tc.header)
			err := ws.Init(tc.payload)
			var ce *testkit.WSCloseError
			if !errors.As(err, &ce) {
				t.Fatalf("Init = %v, want the socket closed with 4403", err)
			}
			if ce.Code != 4403 || ce.Reason != "Forbidden" {
				t.Fatalf("closed with %d %q, want 4403 \"Forbidden\"", ce.Code, ce.Reason)
			}
		})
	}
	t.Run("good token still works", func(t *testing.T) {
		t.Parallel()
		ws := testkit.Dial(t, srv.URL, testkit.SubprotocolTransportWS, nil)
		if err := ws.Init(testkit.BearerPayload(good)); err != nil {
			t.Fatalf("Init with a valid token: %v", err)
		}
	})
}

// TestWebSocketInitTimeout closes a socket that never sends connection_init
// once the configured init timeout has passed, and not before.
func TestWebSocketInitTimeout(t *testing.T) {
	t.Parallel()
	const timeout = 500 * time.Millisecond
	srv := subServer(t, testkit.SQLite,
		func(c *config.Config) { c.WSInitTimeout = timeout })
	for _, proto := range []string{testkit.SubprotocolTransportWS, testkit.SubprotocolLegacyWS} {
		t.Run(proto, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			ws := testkit.Dial(t, srv.URL, proto, nil)
			ce := ws.ExpectCloseError(timeout + 3*time.Second)
			elapsed := time.Since(start)
			t.Logf("closed after %s with %d %q", elapsed.Round(time.Millisecond), ce.Code, ce.Reason)
			if elapsed < timeout-50*time.Millisecond {
				t.Errorf("closed after %s, before the %s init timeout", elapsed, timeout)
			}
			// 4408 is what graphql-transport-ws specifies; the legacy
			// protocol has no code of its own, and gets the same.
			if ce.Code != 4408 {
				t.Errorf("close code %d %q, want 4408 for an init timeout", ce.Code, ce.Reason)
			}
		})
	}
}

// TestSubscriptionTenantIsolation: a subscriber sees only its own
// workspace, and cannot follow another workspace's account by id.
func TestSubscriptionTenantIsolation(t *testing.T) {
	t.Parallel()
	subEachBackend(t, func(t *testing.T, b testkit.Backend) {
		srv := subServer(t, b)
		_, tokA := subUser(t, srv, "ann")
		_, tokB := subUser(t, srv, "bob")
		wsB := testkit.Dial(t, srv.URL, testkit.SubprotocolTransportWS, nil)
		if err := wsB.Init(testkit.BearerPayload(tokB)); err != nil {
			t.Fatal(err)
		}
		subStart(t, srv, wsB, 1, "b", `subscription { accountUpdated { id username status } }`, nil)

		accA := subCreateAccount(t, srv, tokA, "ann_ig", "")
		subSetAccountStatus(t, srv, tokA, accA.ID, "ACTIVE")
		accB := subCreateAccount(t, srv, tokB, "bob_ig", "")
		// B's own change is the first thing B hears: A's two changes,
		// committed before it, never reached B's socket.
		if got := subExpectAccount(t, wsB, "b"); got != accB {
			t.Fatalf("B received %+v, want only its own account %+v (A's is %s)", got, accB, accA.ID)
		}

		// challengeUpdated on A's account is refused to B exactly as an
		// account that does not exist, so B learns nothing about A.
		refused := func(opID, accountID string) *testkit.GQLResponse {
			t.Helper()
			wsB.Subscribe(opID, `subscription($a: ID!) { challengeUpdated(accountID: $a) { id state } }`,
				map[string]any{"a": accountID})
			m, err := wsB.Next(subEventTimeout)
			if err != nil {
				t.Fatalf("challengeUpdated(%s): %v", accountID, err)
			}
			var r testkit.GQLResponse
			switch {
			case m.Type == "error" && m.ID == opID:
				var errs []testkit.GQLError
				subDecode(t, m.Payload, &errs)
				r.Errors = errs
			case m.IsData() && m.ID == opID:
				subDecode(t, m.Payload, &r)
				// A result with errors is followed by complete.
				if c, err := wsB.Next(subEventTimeout); err != nil || c.Type != "complete" || c.ID != opID {
					t.Fatalf("challengeUpdated(%s): after %s got %s (%v), want complete", accountID, m, c, err)
				}
			default:
				t.Fatalf("challengeUpdated(%s): got %s, want an error", accountID, m)
			}
			if r.Code() != "NOT_FOUND" {
				t.Fatalf("challengeUpdated(%s): errors %+v, want NOT_FOUND", accountID, r.Errors)
			}
			return &r
		}
		foreign := refused("cA", accA.ID)
		missing := refused("cX", "999999999")
		if foreign.Errors[0].Message != missing.Errors[0].Message {
			t.Errorf("A's account is refused with %q but a missing one with %q: B can tell A's ids exist",
				foreign.Errors[0].Message, missing.Errors[0].Message)
		}
		subWaitActive(t, srv, 1, wsB) // only "b": the refused ones never registered

		// B can follow its own account's challenges.
		subStart(t, srv, wsB, 2, "cB", `subscription($a: ID!) { challengeUpdated(accountID: $a) { id state } }`,
			map[string]any{"a": accB.ID})
	})
}

// TestSubscriptionAcrossReplicas runs two servers on one PostgreSQL
// database: a change made through one reaches subscribers of both within a
// second.
func TestSubscriptionAcrossReplicas(t *testing.T) {
	t.Parallel()
	stores := testkit.OpenShared(t, 2) // skips without PostgreSQL
	srv1, srv2 := testkit.StartServer(t, stores[0]), testkit.StartServer(t, stores[1])

	// The user is created and signs in through server 1 (the real path,
	// password and all); server 2 accepts the token (same secret, same
	// database).
	srv1.CreateUser(t, "rita", viewer.RoleMember, "rita")
	tok := srv1.Login(t, "rita")

	ws1 := testkit.Dial(t, srv1.URL, testkit.SubprotocolTransportWS, nil)
	ws2 := testkit.Dial(t, srv2.URL, testkit.SubprotocolTransportWS, nil)
	for _, ws := range []*testkit.WSClient{ws1, ws2} {
		if err := ws.Init(testkit.BearerPayload(tok)); err != nil {
			t.Fatalf("connection_init: %v", err)
		}
	}
	const sub = `subscription { accountUpdated { id username status } }`
	subStart(t, srv1, ws1, 1, "1", sub, nil)
	subStart(t, srv2, ws2, 1, "1", sub, nil)

	// Latency is measured from the mutation's response, by which time it
	// has committed, to the moment each client read the event (a negative
	// lag means the event beat the response); the round trip itself is
	// logged, not asserted, since it measures the machine's load, not the
	// bus.
	for i, writer := range []*testkit.Server{srv2, srv1} {
		start := time.Now()
		acc := subCreateAccount(t, writer, tok, "rita_"+subID(i), "")
		committed := time.Now()
		for n, ws := range []*testkit.WSClient{ws1, ws2} {
			m, err := ws.Next(subEventTimeout)
			if err != nil || !m.IsData() || m.ID != "1" {
				t.Fatalf("server %d: got %s (%v), want the account created on %s", n+1, m, err, writer)
			}
			var r struct {
				Data struct{ AccountUpdated subAccount }
			}
			subDecode(t, m.Payload, &r)
			if got := r.Data.AccountUpdated; got != acc {
				t.Fatalf("server %d got %+v, want %+v", n+1, got, acc)
			}
			lag := m.Received.Sub(committed)
			t.Logf("write on server %d reached server %d's subscriber %s after the mutation returned (%s after it was sent)",
				2-i, n+1, lag.Round(time.Millisecond), m.Received.Sub(start).Round(time.Millisecond))
			if lag >= time.Second {
				t.Errorf("write on server %d reached server %d's subscriber %s after it committed, want < 1s", 2-i, n+1, lag)
			}
		}
	}
}

// TestSubscriptionReleased checks that every way a subscription can end
// releases its hub subscription (and the goroutine following it; goleak in
// TestMain checks the rest).
func TestSubscriptionReleased(t *testing.T) {
	t.Parallel()
	const sub = `subscription { accountUpdated { id username status } }`
	const jobs = `subscription { jobUpdated { id status } }`

	for _, proto := range []string{testkit.SubprotocolTransportWS, testkit.SubprotocolLegacyWS} {
		t.Run(proto, func(t *testing.T) {
			t.Parallel()
			srv := subServer(t, testkit.SQLite)
			_, tok := subUser(t, srv, "sam")
			dial := func() *testkit.WSClient {
				ws := testkit.Dial(t, srv.URL, proto, nil)
				if err := ws.Init(testkit.BearerPayload(tok)); err != nil {
					t.Fatal(err)
				}
				return ws
			}

			// complete/stop ends one operation; the socket stays usable.
			ws := dial()
			subStart(t, srv, ws, 1, "a", sub, nil)
			subStart(t, srv, ws, 2, "b", jobs, nil)
			ws.Complete("a")
			if m, err := ws.Next(subEventTimeout); err != nil || m.Type != "complete" || m.ID != "a" {
				t.Fatalf("after complete: got %s (%v), want complete for a", m, err)
			}
			subWaitActive(t, srv, 1, ws)
			acc := subCreateAccount(t, srv, tok, "sam_ig", "")
			subStart(t, srv, ws, 2, "c", sub, nil)
			subSetAccountStatus(t, srv, tok, acc.ID, "ACTIVE")
			if got := subExpectAccount(t, ws, "c"); got.ID != acc.ID {
				t.Fatalf("after completing a, c got %+v", got)
			}

			// A normal close releases everything the socket held.
			ws.Close()
			subWaitActive(t, srv, 0, nil)

			// So does a connection that just drops.
			ws = dial()
			subStart(t, srv, ws, 1, "a", sub, nil)
			subStart(t, srv, ws, 2, "b", jobs, nil)
			subStart(t, srv, ws, 3, "c", sub, nil)
			ws.CloseNow()
			subWaitActive(t, srv, 0, nil)

			// And a close while events are being delivered.
			ws = dial()
			subStart(t, srv, ws, 1, "a", sub, nil)
			subSetAccountStatus(t, srv, tok, acc.ID, "INACTIVE")
			subSetAccountStatus(t, srv, tok, acc.ID, "ACTIVE")
			ws.CloseNow()
			subWaitActive(t, srv, 0, nil)
		})
	}
}

// TestSubscriptionSurvivesBulkCancel cancels a job with hundreds of waiting
// tasks in one commit while a dashboard follows the job's tasks: one commit's
// burst of events must not get a reading subscriber dropped as slow.
func TestSubscriptionSurvivesBulkCancel(t *testing.T) {
	t.Parallel()
	const tasks = 500
	subEachBackend(t, func(t *testing.T, b testkit.Backend) {
		x := subSetup(t, b, "bulk")
		j := subCreateJob(t, x.srv, x.user.WorkspaceID)
		creates := make([]*ent.TaskCreate, tasks)
		for i := range creates {
			creates[i] = x.srv.App.Store.Client.Task.Create().
				SetKind(task.KindLIKE).SetWorkspaceID(x.user.WorkspaceID).SetJobID(j.ID)
		}
		if _, err := x.srv.App.Store.Client.Task.CreateBulk(creates...).Save(subAllow(t)); err != nil {
			t.Fatal(err)
		}
		subStart(t, x.srv, x.ws, 1, "t",
			`subscription($job: ID) { taskUpdated(filter: {jobID: $job}) { id status } }`,
			map[string]any{"job": subID(j.ID)})

		var out struct{ CancelJob struct{ CancelledTasks int } }
		subGQL(t, x.srv, x.token, subMutCancelJob, map[string]any{"id": subID(j.ID)}, &out)
		if out.CancelJob.CancelledTasks != tasks {
			t.Fatalf("cancelledTasks = %d, want %d", out.CancelJob.CancelledTasks, tasks)
		}
		for n := 0; n < tasks; n++ {
			m, err := x.ws.Next(subEventTimeout)
			if err != nil {
				t.Fatalf("after %d of %d cancelled tasks: %v", n, tasks, err)
			}
			if !m.IsData() {
				t.Fatalf("the subscription ended after %d of %d cancelled tasks with %s "+
					"(hub subscriptions now %d): a reading subscriber was dropped as slow by one bulk commit, "+
					"and told nothing that would make it resubscribe",
					n, tasks, m, x.srv.App.Live.Subscribers())
			}
		}
	})
}
