package live_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/ent/user"
	"github.com/switchboardhq/switchboard/server/config"
	"github.com/switchboardhq/switchboard/server/events"
	"github.com/switchboardhq/switchboard/server/live"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// eventTimeout bounds how long a committed change may take to reach a
// subscriber; the margin is for a loaded two-core machine.
const eventTimeout = 10 * time.Second

// member is a signed-in user alone in a workspace of its own.
type member struct {
	user  *ent.User
	token string
}

// newMember writes the workspace and user directly (no bcrypt) and signs a
// session token.
func newMember(t testing.TB, srv *testkit.Server, name string) member {
	t.Helper()
	w, err := srv.App.Store.Client.Workspace.Create().SetName(name).Save(privacy.DecisionContext(t.Context(), privacy.Allow))
	if err != nil {
		t.Fatalf("create workspace %s: %v", name, err)
	}
	return addUser(t, srv, w.ID, name, user.RoleMember)
}

// addUser writes a user with role into workspace directly and signs a
// session token.
func addUser(t testing.TB, srv *testkit.Server, workspace int, name string, role user.Role) member {
	t.Helper()
	u, err := srv.App.Store.Client.User.Create().SetWorkspaceID(workspace).SetUsername(name).
		SetPasswordHash("!token only").SetRole(role).Save(privacy.DecisionContext(t.Context(), privacy.Allow))
	if err != nil {
		t.Fatalf("create user %s: %v", name, err)
	}
	tok, _, err := srv.App.Auth.IssueToken(u)
	if err != nil {
		t.Fatalf("issue token for %s: %v", name, err)
	}
	return member{user: u, token: tok}
}

type account struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
	Status      string `json:"status"`
}

func createAccount(t testing.TB, srv *testkit.Server, m member, username string) account {
	t.Helper()
	var out struct{ CreateAccount struct{ Account account } }
	srv.MustGraphQL(t, m.token, `mutation($in: CreateAccountInput!) {
		createAccount(input: $in) { account { id displayName status } } }`,
		map[string]any{"in": map[string]any{"platform": "INSTAGRAM", "username": username}}, &out)
	return out.CreateAccount.Account
}

func renameAccount(t testing.TB, srv *testkit.Server, m member, id, name string) {
	t.Helper()
	var out json.RawMessage
	srv.MustGraphQL(t, m.token, `mutation($in: UpdateAccountInput!) {
		updateAccount(input: $in) { account { id } } }`,
		map[string]any{"in": map[string]any{"id": id, "displayName": name}}, &out)
}

// waitForHub returns once the hub has delivered every event committed
// before the call: a marker published now comes back after them, because
// the one LISTEN connection receives notifications in commit order.
func waitForHub(t testing.TB, srv *testkit.Server, workspaceID int) {
	t.Helper()
	sub := srv.App.Hub.Subscribe(events.TopicJob, workspaceID)
	defer sub.Close()
	marker := events.Event{Topic: events.TopicJob, WorkspaceID: workspaceID, ID: math.MaxInt32, Op: events.OpUpdated}
	if err := srv.App.Bus.Publish(t.Context(), marker); err != nil {
		t.Fatalf("publish marker: %v", err)
	}
	timeout := time.After(eventTimeout)
	for {
		select {
		case ev := <-sub.C():
			if ev == marker {
				return
			}
		case <-timeout:
			t.Fatalf("marker event not delivered within %s", eventTimeout)
		}
	}
}

const followAccounts = `subscription { accountUpdated { id displayName status } }`

// subscribers opens sockets for m with ops operations each, all following
// accounts, and returns them once the server holds them all (want counts
// every subscriber on the server).
func subscribers(t testing.TB, srv *testkit.Server, m member, sockets, ops, want int) []*testkit.WSClient {
	t.Helper()
	out := make([]*testkit.WSClient, sockets)
	for i := range out {
		ws := testkit.Dial(t, srv.URL, testkit.SubprotocolTransportWS, nil)
		if err := ws.Init(testkit.BearerPayload(m.token)); err != nil {
			t.Fatalf("connection_init: %v", err)
		}
		for op := range ops {
			ws.Subscribe(fmt.Sprint(op), followAccounts, nil)
		}
		out[i] = ws
	}
	waitSubscribers(t, srv, want)
	return out
}

func waitSubscribers(t testing.TB, srv *testkit.Server, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), eventTimeout)
	defer cancel()
	if err := srv.App.Live.WaitForSubscribers(ctx, n); err != nil {
		t.Fatal(err)
	}
}

// nextAccount reads the next result on ws.
func nextAccount(t testing.TB, ws *testkit.WSClient) (string, account, time.Time) {
	t.Helper()
	m, err := ws.Next(eventTimeout)
	if err != nil {
		t.Fatalf("waiting for an account: %v", err)
	}
	if !m.IsData() {
		t.Fatalf("got %s, want an account", m)
	}
	var r struct {
		Data   struct{ AccountUpdated account }
		Errors []any
	}
	if err := json.Unmarshal(m.Payload, &r); err != nil || len(r.Errors) > 0 {
		t.Fatalf("result %s: %v", m, err)
	}
	return m.ID, r.Data.AccountUpdated, m.Received
}

// countAccountQueries counts every query the server's ent client makes of
// the accounts table from now on.
func countAccountQueries(srv *testkit.Server) *atomic.Int64 {
	var n atomic.Int64
	srv.App.Store.Client.Account.Intercept(ent.InterceptFunc(func(next ent.Querier) ent.Querier {
		return ent.QuerierFunc(func(ctx context.Context, q ent.Query) (ent.Value, error) {
			n.Add(1)
			return next.Query(ctx, q)
		})
	}))
	return &n
}

// TestOneLoadPerChangeSharedByWorkspace: 50 subscribers in each of two
// workspaces; each gets exactly its own workspace's changes, and the
// database is asked for each changed row once, however many subscribers
// share it. The count of account queries made by the same changes with no
// subscriber is the baseline: the difference is the live loads.
func TestOneLoadPerChangeSharedByWorkspace(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		srv := testkit.StartServer(t, st)
		a, b := newMember(t, srv, "ann"), newMember(t, srv, "bob")
		accA, accB := createAccount(t, srv, a, "ann_ig"), createAccount(t, srv, b, "bob_ig")
		queries := countAccountQueries(srv)
		const changes = 4
		change := func(round int) {
			renameAccount(t, srv, a, accA.ID, fmt.Sprintf("a%d", round))
			renameAccount(t, srv, b, accB.ID, fmt.Sprintf("b%d", round))
		}

		for i := range changes {
			change(i)
		}
		baseline := queries.Load()
		// PostgreSQL announces a commit through NOTIFY, which reaches the
		// hub a moment later: a subscriber made at once could still be
		// sent the last of these changes (and cost a load of it).
		waitForHub(t, srv, a.user.WorkspaceID)

		// 5 sockets x 10 operations per workspace.
		wsA := subscribers(t, srv, a, 5, 10, 50)
		wsB := subscribers(t, srv, b, 5, 10, 100)
		queries.Store(0)
		for i := range changes {
			change(changes + i)
			// Wait for every subscriber before the next round, so no two
			// changes of a row coalesce into one load.
			for _, side := range []struct {
				ws   []*testkit.WSClient
				id   string
				want string
			}{{wsA, accA.ID, fmt.Sprintf("a%d", changes+i)}, {wsB, accB.ID, fmt.Sprintf("b%d", changes+i)}} {
				for _, ws := range side.ws {
					seen := map[string]bool{}
					for range 10 {
						op, got, _ := nextAccount(t, ws)
						if got.ID != side.id || got.DisplayName != side.want {
							t.Fatalf("operation %s got %+v, want account %s named %s", op, got, side.id, side.want)
						}
						seen[op] = true
					}
					if len(seen) != 10 {
						t.Fatalf("results went to operations %v, want one each of 10", seen)
					}
				}
			}
		}
		loads := queries.Load() - baseline
		t.Logf("%d changes with 100 subscribers: %d account queries, %d with none", 2*changes, queries.Load(), baseline)
		if loads != 2*changes {
			t.Fatalf("100 subscribers cost %d account queries more than none for %d changes, want exactly one load per change", loads, 2*changes)
		}
	})
}

// TestLastStateWinsNeverBackwards: 200 quick updates of one row; every
// subscriber sees versions only going up and ends on the last one.
func TestLastStateWinsNeverBackwards(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		srv := testkit.StartServer(t, st)
		m := newMember(t, srv, "olga")
		acc := createAccount(t, srv, m, "olga_ig")
		sockets := subscribers(t, srv, m, 4, 5, 20)
		const updates = 200
		for i := range updates {
			renameAccount(t, srv, m, acc.ID, fmt.Sprintf("v%03d", i))
		}
		final := fmt.Sprintf("v%03d", updates-1)

		for i, ws := range sockets {
			seen := map[string]string{} // operation -> last version
			for {
				done := len(seen) == 5
				for _, v := range seen {
					done = done && v == final
				}
				if done {
					break
				}
				op, got, _ := nextAccount(t, ws)
				prev := seen[op]
				if got.DisplayName < prev {
					t.Fatalf("socket %d operation %s went back from %s to %s", i, op, prev, got.DisplayName)
				}
				seen[op] = got.DisplayName
			}
		}
	})
}

// rawSocket is a graphql-transport-ws client that reads only when told to,
// to play a dashboard that stopped reading (testkit's client always reads).
type rawSocket struct {
	conn *websocket.Conn
}

func dialRaw(t testing.TB, srv *testkit.Server, token string) *rawSocket {
	t.Helper()
	d := websocket.Dialer{Subprotocols: []string{testkit.SubprotocolTransportWS}, HandshakeTimeout: eventTimeout}
	conn, _, err := d.DialContext(t.Context(), "ws"+strings.TrimPrefix(srv.URL, "http")+"/query", nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	s := &rawSocket{conn: conn}
	s.send(t, map[string]any{"type": "connection_init", "payload": testkit.BearerPayload(token)})
	if m := s.read(t); m.Type != "connection_ack" {
		t.Fatalf("got %s, want connection_ack", m)
	}
	return s
}

func (s *rawSocket) send(t testing.TB, m any) {
	t.Helper()
	if err := s.conn.WriteJSON(m); err != nil {
		t.Fatalf("write: %v", err)
	}
}

func (s *rawSocket) read(t testing.TB) testkit.WSMessage {
	t.Helper()
	_ = s.conn.SetReadDeadline(time.Now().Add(eventTimeout))
	var m testkit.WSMessage
	if err := s.conn.ReadJSON(&m); err != nil {
		t.Fatalf("read: %v", err)
	}
	return m
}

// TestSlowSocketAmongSharedSubscribers: 100 sockets follow accounts with
// one document, so they share one execution and each result is encoded
// once; one of them stops reading. It alone is ended, with a
// SLOW_SUBSCRIBER error it finds when it reads again (not a plain
// complete), while the 99 others get every change, in order, and then the
// last state.
func TestSlowSocketAmongSharedSubscribers(t *testing.T) {
	t.Parallel()
	const stall = 300 * time.Millisecond
	srv := testkit.StartServer(t, testkit.Open(t, testkit.SQLite), func(c *config.Config) { c.LiveStall = stall })
	m := newMember(t, srv, "stan")
	acc := createAccount(t, srv, m, "stan_ig")

	// Beside the shared subscription, the stopped socket asks for fat
	// results of its own (1,000 aliases of the name), so its kernel
	// buffers fill after a few dozen changes while the readers' results
	// stay small.
	var fat strings.Builder
	fat.WriteString("subscription { accountUpdated { id")
	for i := range 1000 {
		fmt.Fprintf(&fat, " n%d: displayName", i)
	}
	fat.WriteString(" } }")
	const fatOps = 5
	slow := dialRaw(t, srv, m.token)
	slow.send(t, map[string]any{"id": "shared", "type": "subscribe", "payload": map[string]any{"query": followAccounts}})
	for op := range fatOps {
		slow.send(t, map[string]any{"id": fmt.Sprint("fat", op), "type": "subscribe", "payload": map[string]any{"query": fat.String()}})
	}
	waitSubscribers(t, srv, 1+fatOps)
	readers := subscribers(t, srv, m, 99, 1, 100+fatOps)

	name := strings.Repeat("x", 40)
	change := func(i int) {
		t.Helper()
		want := fmt.Sprintf("%s%04d", name, i)
		renameAccount(t, srv, m, acc.ID, want)
		for _, ws := range readers {
			if _, got, _ := nextAccount(t, ws); got.DisplayName != want {
				t.Fatalf("reader got %q, want %q: a change was lost or reordered", got.DisplayName, want)
			}
		}
	}
	i := 0
	for ; srv.App.Live.Stats().Drops < 1+fatOps; i++ {
		if i == 2000 {
			t.Fatalf("after %d changes the socket that stopped reading was not ended (stats %+v)", i, srv.App.Live.Stats())
		}
		change(i)
		if i%20 == 19 {
			time.Sleep(stall) // let the stopped socket's wait run out
		}
	}
	change(i) // the last state, after the stopped socket left
	t.Logf("the stopped socket was ended after %d changes; stats %+v", i, srv.App.Live.Stats())
	waitSubscribers(t, srv, 99)

	// Reading again, the stopped socket finds the results it was sent,
	// then, for each of its operations, the error that ended it.
	ended := map[string]bool{}
	for len(ended) < 1+fatOps {
		msg := slow.read(t)
		if msg.Type == "next" || msg.Type == "ping" {
			continue
		}
		var errs []struct {
			Message    string
			Extensions struct{ Code string }
		}
		if msg.Type != "error" || json.Unmarshal(msg.Payload, &errs) != nil ||
			len(errs) != 1 || errs[0].Extensions.Code != "SLOW_SUBSCRIBER" {
			t.Fatalf("got %s, want results then one SLOW_SUBSCRIBER error per operation", msg)
		}
		ended[msg.ID] = true
	}
	if !ended["shared"] {
		t.Fatalf("ended %v, want the shared subscription among them", ended)
	}
}

// TestNothingSharedAcrossWorkspaces: viewers of two workspaces — members,
// admins, an API key, a worker key — follow accounts with the same
// document, which is all the sharing (of loads, executions and encoded
// results) could key on; one in B even names A's row in its filter. Each
// receives only its own workspace's row, through every change.
func TestNothingSharedAcrossWorkspaces(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		srv := testkit.StartServer(t, st)
		a, b := newMember(t, srv, "amy"), newMember(t, srv, "ben")
		accA, accB := createAccount(t, srv, a, "amy_ig"), createAccount(t, srv, b, "ben_ig")
		viewers := map[string]struct {
			token, own string
		}{
			"A member": {a.token, accA.ID}, "B member": {b.token, accB.ID},
			"A admin":      {addUser(t, srv, a.user.WorkspaceID, "amy_admin", user.RoleAdmin).token, accA.ID},
			"B admin":      {addUser(t, srv, b.user.WorkspaceID, "ben_admin", user.RoleAdmin).token, accB.ID},
			"A api key":    {apiKey(t, srv, a, viewer.ScopeAPI), accA.ID},
			"B worker key": {apiKey(t, srv, b, viewer.ScopeWorker), accB.ID},
		}
		type follower struct {
			name, own string
			ws        *testkit.WSClient
		}
		var followers []follower
		for name, v := range viewers {
			ws := testkit.Dial(t, srv.URL, testkit.SubprotocolTransportWS, nil)
			if err := ws.Init(testkit.BearerPayload(v.token)); err != nil {
				t.Fatalf("%s: connection_init: %v", name, err)
			}
			ws.Subscribe("all", followAccounts, nil)
			followers = append(followers, follower{name, v.own, ws})
		}
		prying := testkit.Dial(t, srv.URL, testkit.SubprotocolTransportWS, nil)
		if err := prying.Init(testkit.BearerPayload(b.token)); err != nil {
			t.Fatal(err)
		}
		prying.Subscribe("ids", `subscription($ids: [ID!]) { accountUpdated(filter: {ids: $ids}) { id displayName status } }`,
			map[string]any{"ids": []string{accA.ID, accB.ID}})
		followers = append(followers, follower{"B naming A's row", accB.ID, prying})
		waitSubscribers(t, srv, len(followers))

		const rounds = 5
		for i := range rounds {
			renameAccount(t, srv, a, accA.ID, fmt.Sprint("a", i))
			renameAccount(t, srv, b, accB.ID, fmt.Sprint("b", i))
		}
		// Changes of a row may be merged, so each reads until its row's
		// last name.
		for _, f := range followers {
			prefix := map[bool]string{true: "a", false: "b"}[f.own == accA.ID]
			for last := ""; last != fmt.Sprint(prefix, rounds-1); {
				_, got, _ := nextAccount(t, f.ws)
				lateCreation := got.DisplayName == "" && last == "" // PostgreSQL's notice of the creation
				if got.ID != f.own || !lateCreation && (!strings.HasPrefix(got.DisplayName, prefix) || got.DisplayName < last) {
					t.Fatalf("%s got %+v after %q, want only its own account %s, named %s0 to %s%d", f.name, got, last, f.own, prefix, prefix, rounds-1)
				}
				last = got.DisplayName
			}
		}
	})
}

// apiKey creates an API key of m with scope.
func apiKey(t testing.TB, srv *testkit.Server, m member, scope viewer.Scope) string {
	t.Helper()
	raw, _, err := srv.App.Auth.CreateAPIKey(t.Context(), m.user.ID, "live", scope)
	if err != nil {
		t.Fatalf("create %s key: %v", scope, err)
	}
	return raw
}

// TestSharedLoadAcrossReplicas: subscribers on one server, changes made
// through another on the same PostgreSQL database; the subscribers' server
// loads each change once for all of them.
func TestSharedLoadAcrossReplicas(t *testing.T) {
	t.Parallel()
	stores := testkit.OpenShared(t, 2) // skips without PostgreSQL
	watcher, writer := testkit.StartServer(t, stores[0]), testkit.StartServer(t, stores[1])
	m := newMember(t, watcher, "rita")
	sockets := subscribers(t, watcher, m, 5, 10, 50)
	// The creation is heard first (its notification comes asynchronously,
	// so it is awaited before counting starts).
	acc := createAccount(t, writer, m, "rita_ig")
	for _, ws := range sockets {
		for range 10 {
			nextAccount(t, ws)
		}
	}
	queries := countAccountQueries(watcher)
	const changes = 5
	for i := range changes {
		want := fmt.Sprintf("r%d", i)
		renameAccount(t, writer, m, acc.ID, want)
		for _, ws := range sockets {
			for range 10 {
				if _, got, _ := nextAccount(t, ws); got.ID != acc.ID || got.DisplayName != want {
					t.Fatalf("got %+v, want account %s named %s", got, acc.ID, want)
				}
			}
		}
	}
	if n := queries.Load(); n != changes {
		t.Fatalf("the subscribers' server made %d account queries for %d changes made elsewhere, want one each", n, changes)
	}
}

// TestLastStateOfEveryRowAcrossReplicas: two servers on one PostgreSQL
// database, 50 subscribers on each; four rows are renamed 30 times each in
// quick succession, each rename of a row made through the other server
// than its previous one. Intermediate states may be coalesced, but every
// subscriber on both servers ends on every row's last name and never sees
// a row go back to an older one.
func TestLastStateOfEveryRowAcrossReplicas(t *testing.T) {
	t.Parallel()
	stores := testkit.OpenShared(t, 2) // skips without PostgreSQL
	servers := []*testkit.Server{testkit.StartServer(t, stores[0]), testkit.StartServer(t, stores[1])}
	m := newMember(t, servers[0], "rhea")
	const rows, versions = 4, 30
	ids := make([]string, rows)
	for i := range ids {
		ids[i] = createAccount(t, servers[i%2], m, fmt.Sprint("rhea_", i)).ID
	}
	var sockets []*testkit.WSClient
	for _, srv := range servers {
		sockets = append(sockets, subscribers(t, srv, m, 10, 5, 50)...)
	}

	for v := range versions {
		for i, id := range ids {
			renameAccount(t, servers[(v+i)%2], m, id, fmt.Sprintf("v%03d", v))
		}
	}
	final := fmt.Sprintf("v%03d", versions-1)

	for n, ws := range sockets {
		// Per operation, the name each row was last seen with; a row
		// not yet renamed shows "" (the creation, heard late).
		seen := map[string]map[string]string{}
		atFinal := 0
		for atFinal < 5*rows {
			op, got, _ := nextAccount(t, ws)
			if seen[op] == nil {
				seen[op] = map[string]string{}
			}
			prev, known := seen[op][got.ID]
			if got.DisplayName < prev {
				t.Fatalf("socket %d operation %s: row %s went back from %s to %s", n, op, got.ID, prev, got.DisplayName)
			}
			if got.DisplayName == final && (!known || prev != final) {
				atFinal++
			}
			seen[op][got.ID] = got.DisplayName
		}
	}
	for _, srv := range servers {
		if st := srv.App.Live.Stats(); st.Drops != 0 {
			t.Errorf("%d subscribers ended on a server that kept up (stats %+v)", st.Drops, st)
		}
	}
}

// TestNoGoroutineLeftAfterSubscribersLeave: 1,000 subscriptions come and go;
// what they started ends with them.
func TestNoGoroutineLeftAfterSubscribersLeave(t *testing.T) {
	srv := testkit.StartServer(t, testkit.Open(t, testkit.SQLite))
	m := newMember(t, srv, "gus")
	acc := createAccount(t, srv, m, "gus_ig")
	http.DefaultClient.CloseIdleConnections()
	srv.HTTP.CloseClientConnections()
	before := goleak.IgnoreCurrent()

	sockets := subscribers(t, srv, m, 20, 50, 1000)
	renameAccount(t, srv, m, acc.ID, "seen")
	for _, ws := range sockets {
		for range 50 {
			nextAccount(t, ws)
		}
	}
	for i, ws := range sockets {
		if i%2 == 0 {
			ws.Close()
		} else {
			ws.CloseNow()
		}
	}
	waitSubscribers(t, srv, 0)
	if got := srv.App.Live.Stats(); got.QueueDepth != 0 {
		t.Errorf("queue depth %d after everyone left", got.QueueDepth)
	}
	http.DefaultClient.CloseIdleConnections()
	srv.HTTP.CloseClientConnections()
	if err := goleak.Find(before, goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop")); err != nil {
		t.Fatal(err)
	}
}

// TestBehindOnOneRowGetsItsNewestState: a subscriber that has not yet
// taken a row when the row changes again is handed the newer state in
// place of the waiting one — never the stale state first, which a shared
// execution would encode and send to every socket before the newest.
func TestBehindOnOneRowGetsItsNewestState(t *testing.T) {
	t.Parallel()
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		srv := testkit.StartServer(t, st)
		m := newMember(t, srv, "nina")
		acc := createAccount(t, srv, m, "nina_ig")
		marker := createAccount(t, srv, m, "nina_marker")
		feed := live.NewFeed(srv.App.Live, []events.Topic{events.TopicAccount}, srv.App.Store.Client.Account.Get)
		only := func(id string) live.Options[*ent.Account] {
			return live.Options[*ent.Account]{Keep: func(a *ent.Account) bool { return strconv.Itoa(a.ID) == id }}
		}
		ch := feed.Subscribe(t.Context(), m.user.WorkspaceID, only(acc.ID))
		markers := feed.Subscribe(t.Context(), m.user.WorkspaceID, only(marker.ID))
		for i := range 3 { // each state loaded before the next commit, none taken
			loads := srv.App.Live.Stats().Loads
			renameAccount(t, srv, m, acc.ID, fmt.Sprintf("v%d", i))
			deadline := time.Now().Add(eventTimeout)
			for srv.App.Live.Stats().Loads == loads {
				if time.Now().After(deadline) {
					t.Fatalf("change %d was not loaded", i)
				}
				time.Sleep(5 * time.Millisecond)
			}
		}
		// The load counter may have risen for an event committed before the
		// subscription (on PostgreSQL a NOTIFY can reach the hub after it),
		// so it does not prove v2 was loaded. A change committed after v2
		// does: the group loads rows in the order their events came, and
		// hands a row to every subscriber before loading the next.
		renameAccount(t, srv, m, marker.ID, "after v2")
		for seen := ""; seen != "after v2"; {
			select {
			case got := <-markers:
				seen = got.DisplayName
			case <-time.After(eventTimeout):
				t.Fatal("the change after v2 never arrived")
			}
		}
		select {
		case got := <-ch:
			if got.DisplayName != "v2" {
				t.Fatalf("first state taken is %q, want the newest, v2", got.DisplayName)
			}
		case <-time.After(eventTimeout):
			t.Fatal("no state arrived")
		}
		select {
		case got := <-ch:
			t.Fatalf("after the newest state got %q", got.DisplayName)
		case <-time.After(100 * time.Millisecond):
		}
	})
}
