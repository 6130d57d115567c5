package app_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/actionrecord"
	"github.com/switchboardhq/switchboard/ent/post"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// likepionWorker speaks the Likepion protocol to one server with one key.
type likepionWorker struct {
	client *http.Client
	base   string
	key    string
}

func (w *likepionWorker) call(t testing.TB, method, path, body string) (int, []byte) {
	req, err := http.NewRequestWithContext(t.Context(), method, w.base+"/api/v1/social"+path, strings.NewReader(body))
	if err != nil {
		t.Error(err)
		return 0, nil
	}
	req.Header.Set("X-API-Key", w.key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := w.client.Do(req)
	if err != nil {
		t.Error(err)
		return 0, nil
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// drain runs the worker loop (links?limit=10, start, complete) until a
// claim returns nothing, reporting each completed task id to done.
func (w *likepionWorker) drain(t testing.TB, done func(id string)) {
	for {
		code, raw := w.call(t, http.MethodGet, "/links?limit=10", "")
		if code != http.StatusOK {
			t.Errorf("links: %d %s", code, raw)
			return
		}
		var links struct {
			Data []struct {
				ID string `json:"id"`
			} `json:"data"`
		}
		if err := json.Unmarshal(raw, &links); err != nil {
			t.Error(err)
			return
		}
		if len(links.Data) == 0 {
			return
		}
		for _, l := range links.Data {
			if code, raw := w.call(t, http.MethodPost, "/links/"+l.ID+"/start", ""); code != http.StatusOK {
				t.Errorf("start %s: %d %s", l.ID, code, raw)
				return
			}
			if code, raw := w.call(t, http.MethodPost, "/links/"+l.ID+"/complete", `{"link_post":"https://example.invalid/p/`+l.ID+`"}`); code != http.StatusOK {
				t.Errorf("complete %s: %d %s", l.ID, code, raw)
				return
			}
			done(l.ID)
		}
	}
}

// seedPostTasks creates accounts accounts and posts posts in workspace ws,
// each post with a pending post_publish task for every account (as the
// scheduler leaves a due post).
func seedPostTasks(t testing.TB, st *store.Store, ws, accounts, posts int, budget func(i int) int) []*ent.Account {
	t.Helper()
	ctx := viewer.NewContext(t.Context(), &viewer.Viewer{UserID: 1, WorkspaceID: ws})
	payload := map[string]any{"title": "Load", "body": "<p>load</p>", "link": "https://example.invalid", "media": []string{}}
	var accs []*ent.Account
	for i := range accounts {
		accs = append(accs, st.Client.Account.Create().SetPlatform(account.PlatformFacebook).
			SetUsername(fmt.Sprintf("load%03d", i)).SetEnergyBudget(budget(i)).SaveX(ctx))
	}
	sys := privacy.DecisionContext(t.Context(), privacy.Allow)
	for range posts {
		p := st.Client.Post.Create().SetTitle("Load").SetBody("<p>load</p>").SetLink("https://example.invalid").
			SetStatus(post.StatusQUEUED).AddAccounts(accs...).SaveX(ctx)
		bulk := make([]*ent.TaskCreate, len(accs))
		for i, a := range accs {
			bulk[i] = st.Client.Task.Create().SetWorkspaceID(ws).SetKind(task.KindPOST_PUBLISH).
				SetActionType("post").SetAccountID(a.ID).SetPostID(p.ID).SetPayload(payload).
				SetNotBefore(time.Now().Add(-time.Second))
		}
		st.Client.Task.CreateBulk(bulk...).ExecX(sys)
	}
	return accs
}

// TestSixteenWorkersOnTwoServersCompleteEveryTaskOnce: two servers on one
// PostgreSQL database, 16 workers (8 per server, each its own worker key)
// drain 5,000 post tasks over HTTP. Every task is completed exactly once:
// none lost, none handed to two workers.
func TestSixteenWorkersOnTwoServersCompleteEveryTaskOnce(t *testing.T) {
	t.Parallel()
	const workers, total = 16, 5_000
	stores := testkit.OpenShared(t, 2)
	servers := []*testkit.Server{testkit.StartServer(t, stores[0]), testkit.StartServer(t, stores[1])}
	u := servers[0].CreateUser(t, "loader", viewer.RoleMember, "load-agency")
	seedPostTasks(t, stores[0], u.WorkspaceID, 50, total/50, func(int) int { return 100 }) // 100 posts for 50 accounts

	var (
		mu    sync.Mutex
		seen  = make(map[string]int, total)
		count atomic.Int64
		wg    sync.WaitGroup
	)
	start := time.Now()
	for i := range workers {
		w := &likepionWorker{client: &http.Client{Timeout: time.Minute}, base: servers[i%2].URL, key: servers[0].APIKey(t, u, viewer.ScopeWorker)}
		wg.Go(func() {
			w.drain(t, func(id string) {
				count.Add(1)
				mu.Lock()
				seen[id]++
				mu.Unlock()
			})
		})
	}
	wg.Wait()
	t.Logf("%d workers on 2 servers completed %d tasks in %s", workers, count.Load(), time.Since(start).Round(time.Millisecond))
	if t.Failed() {
		return
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("task %s completed %d times", id, n)
		}
	}
	if len(seen) != total {
		t.Fatalf("%d distinct tasks completed, want %d", len(seen), total)
	}
	ctx := viewer.NewContext(t.Context(), &viewer.Viewer{UserID: u.ID, WorkspaceID: u.WorkspaceID})
	if n := stores[1].Client.Task.Query().Where(task.StatusEQ(task.StatusCOMPLETED), task.Attempts(1)).CountX(ctx); n != total {
		t.Fatalf("%d tasks completed on their first attempt, want %d", n, total)
	}
}

// TestWorkersOverHTTPNeverBreakCooldownRules: the same worker loop against
// tight post rules on 20 accounts (two servers on PostgreSQL, one on
// SQLite), then the charged actions are replayed: no account ever exceeds
// the hourly or daily count, the minimum delay or its energy budget.
func TestWorkersOverHTTPNeverBreakCooldownRules(t *testing.T) {
	t.Parallel()
	const (
		accounts, posts    = 20, 10
		minDelay, maxDelay = 1, 1
		hourly, daily      = 3, 5
		cost               = 2
		// Odd accounts run out of energy after two posts; even ones reach
		// the hourly limit (the 1 s delay allows four posts in the run).
		lowBudget, highBudget = 5, 100
		runFor                = 4500 * time.Millisecond
	)
	for _, backend := range testkit.Backends() {
		t.Run(string(backend), func(t *testing.T) {
			t.Parallel()
			var servers []*testkit.Server
			if backend == testkit.Postgres {
				stores := testkit.OpenShared(t, 2)
				servers = []*testkit.Server{testkit.StartServer(t, stores[0]), testkit.StartServer(t, stores[1])}
			} else {
				servers = []*testkit.Server{testkit.StartServer(t, testkit.Open(t, backend))}
			}
			st := servers[0].App.Store
			u := servers[0].CreateUser(t, "cool", viewer.RoleMember, "cool-agency")
			ctx := viewer.NewContext(t.Context(), &viewer.Viewer{UserID: u.ID, WorkspaceID: u.WorkspaceID})
			st.Client.CooldownRule.Create().SetActionType("post").SetMinDelay(minDelay).SetMaxDelay(maxDelay).
				SetHourlyLimit(hourly).SetDailyLimit(daily).SetEnergyCost(cost).SaveX(ctx)
			accs := seedPostTasks(t, st, u.WorkspaceID, accounts, posts, func(i int) int {
				if i%2 == 1 {
					return lowBudget
				}
				return highBudget
			})

			deadline := time.Now().Add(runFor)
			var wg sync.WaitGroup
			for i := range 16 {
				w := &likepionWorker{client: &http.Client{Timeout: time.Minute}, base: servers[i%len(servers)].URL, key: servers[0].APIKey(t, u, viewer.ScopeWorker)}
				wg.Go(func() {
					for time.Now().Before(deadline) && !t.Failed() {
						w.drain(t, func(string) {})
						time.Sleep(50 * time.Millisecond)
					}
				})
			}
			wg.Wait()
			if t.Failed() {
				return
			}
			recs := st.Client.ActionRecord.Query().Order(actionrecord.ByAt(), actionrecord.ByID()).AllX(ctx)
			completed := st.Client.Task.Query().Where(task.StatusEQ(task.StatusCOMPLETED)).CountX(ctx)
			if completed == 0 || completed != len(recs) {
				t.Fatalf("%d tasks completed, %d actions charged", completed, len(recs))
			}
			byAcct := map[int][]*ent.ActionRecord{}
			for _, r := range recs {
				byAcct[r.AccountID] = append(byAcct[r.AccountID], r)
			}
			budgets := map[int]int{}
			for _, a := range accs {
				budgets[a.ID] = a.EnergyBudget
			}
			// Each limit must have been reached somewhere, or the run
			// proved nothing about it.
			reached := map[string]bool{}
			for id, rs := range byAcct {
				budget := budgets[id]
				switch {
				case budget == lowBudget && len(rs) == lowBudget/cost:
					reached["energy"] = true
				case budget == highBudget && len(rs) == hourly:
					reached["hourly"] = true
				}
				for _, v := range testkit.CooldownViolations(rs, testkit.CooldownLimits{
					MinDelay: minDelay * time.Second, Hourly: hourly, Daily: daily, Budget: budget,
				}) {
					t.Errorf("account %d: %s", id, v)
				}
			}
			if !reached["energy"] || !reached["hourly"] {
				t.Errorf("limits reached in the run: %v; want the energy budget and the hourly limit", reached)
			}
			t.Logf("%s: %d servers, 16 workers: %d posts on %d accounts in %s, replayed without a violation",
				backend, len(servers), len(recs), len(byAcct), runFor)
		})
	}
}
