package bench_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/post"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

const (
	benchWorkers = 8
	benchTasks   = 5_000
	benchBatch   = 10
)

// BenchmarkWorkerHTTP runs the Likepion worker loop end to end over HTTP —
// GET /links?limit=10, then POST start and POST complete for each task —
// with 8 concurrent workers draining 5,000 post tasks (100 posts being
// published to 50 accounts, so every report also rolls up into its post),
// on PostgreSQL and on
// SQLite. In the same run, on the same database, the baseline drains
// another 5,000 with bare SQL (a FOR UPDATE SKIP LOCKED claim of 10 on
// PostgreSQL, an immediate transaction on SQLite, then a start and a
// complete UPDATE per task): no HTTP, auth, privacy, logs or events. It
// reports tasks/s for both, their ratio and the p99 claim latency.
//
//	go test ./bench/ -run XXX -bench WorkerHTTP -benchtime 1x
func BenchmarkWorkerHTTP(b *testing.B) {
	for _, backend := range testkit.Backends() {
		b.Run(string(backend), func(b *testing.B) {
			st := testkit.Open(b, backend)
			srv := testkit.StartServer(b, st)
			u := srv.CreateUser(b, "bench", viewer.RoleMember, "bench")
			key := srv.APIKey(b, u, viewer.ScopeWorker)

			seedPostTasks(b, st, u.WorkspaceID, benchTasks)
			ours, claimP99 := runHTTPWorkers(b, srv.URL, key)

			_, ws := benchWorkspace(b, st)
			seedPostTasks(b, st, ws, benchTasks)
			bare := runBareSQL(b, st, ws)

			b.Logf("%s: %d workers, %d tasks: HTTP %.0f tasks/s (claim p99 %s), bare SQL %.0f tasks/s, ratio %.2f",
				backend, benchWorkers, benchTasks, ours, claimP99, bare, ours/bare)
			b.ReportMetric(ours, "tasks/s")
			b.ReportMetric(bare, "bare-tasks/s")
			b.ReportMetric(ours/bare, "ratio")
			b.ReportMetric(float64(claimP99.Microseconds())/1000, "claim-p99-ms")
		})
	}
}

// seedPostTasks creates n pending POST_PUBLISH tasks in workspace ws
// shaped as the scheduler makes them: one task per (post, account), here
// 50 accounts and n/50 posts. (One post with n tasks for one account, as
// this benchmark first did, is no real workload: every report then reads
// the account's n tasks of the post to find the newest, and all workers
// queue on one post's lock.)
func seedPostTasks(b testing.TB, st *store.Store, ws, n int) {
	b.Helper()
	const accounts = 50
	ctx := viewer.NewContext(b.Context(), &viewer.Viewer{UserID: 1, WorkspaceID: ws})
	accs := make([]*ent.Account, accounts)
	for i := range accs {
		accs[i] = st.Client.Account.Create().SetPlatform(account.PlatformFacebook).
			SetUsername(fmt.Sprintf("bench-%d-%d", time.Now().UnixNano(), i)).SaveX(ctx)
	}
	payload := map[string]any{"title": "Bench", "body": "<p>bench</p>", "link": "https://example.invalid", "media": []string{}}
	sys := privacy.DecisionContext(b.Context(), privacy.Allow)
	for done := 0; done < n; done += accounts {
		p := st.Client.Post.Create().SetTitle("Bench").SetBody("<p>bench</p>").SetLink("https://example.invalid").
			SetStatus(post.StatusQUEUED).SaveX(ctx)
		bulk := make([]*ent.TaskCreate, min(accounts, n-done))
		for i := range bulk {
			bulk[i] = st.Client.Task.Create().SetWorkspaceID(ws).SetKind(task.KindPOST_PUBLISH).
				SetAccountID(accs[i].ID).SetPostID(p.ID).SetPayload(payload).SetNotBefore(time.Now().Add(-time.Second))
		}
		st.Client.Task.CreateBulk(bulk...).ExecX(sys)
	}
	// As autovacuum would have by the time a real queue is this long:
	// without statistics PostgreSQL's planner takes the workspace for a
	// few dozen tasks and reads all of them to find the batch's. SQLite
	// is left as a server leaves it, without statistics (with them,
	// SQLite recompiles every cached statement whose plan a bound value
	// might change, on every run).
	if st.Driver.Dialect() != "postgres" {
		return
	}
	for _, table := range []string{"tasks", "posts", "accounts", "post_accounts"} {
		if _, err := st.DB.ExecContext(b.Context(), "ANALYZE "+table); err != nil {
			b.Fatalf("analyze %s: %v", table, err)
		}
	}
}

// runHTTPWorkers drains the workspace's tasks with benchWorkers workers
// speaking the Likepion protocol and returns tasks/s and the p99 latency
// of GET /links.
func runHTTPWorkers(b testing.TB, base, key string) (float64, time.Duration) {
	b.Helper()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2 * benchWorkers}, Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()
	call := func(method, path, body string) ([]byte, error) {
		req, err := http.NewRequestWithContext(b.Context(), method, base+"/api/v1/social"+path, strings.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("X-API-Key", key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		out, err := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, out)
		}
		return out, err
	}
	var (
		done    atomic.Int64
		mu      sync.Mutex
		claimed []time.Duration
		wg      sync.WaitGroup
		errc    = make(chan error, benchWorkers)
	)
	start := time.Now()
	for range benchWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				t0 := time.Now()
				raw, err := call(http.MethodGet, fmt.Sprintf("/links?limit=%d", benchBatch), "")
				if err != nil {
					errc <- err
					return
				}
				d := time.Since(t0)
				var links struct {
					Data []struct {
						ID string `json:"id"`
					} `json:"data"`
				}
				if err := json.Unmarshal(raw, &links); err != nil {
					errc <- err
					return
				}
				mu.Lock()
				claimed = append(claimed, d)
				mu.Unlock()
				if len(links.Data) == 0 {
					return
				}
				for _, l := range links.Data {
					if _, err := call(http.MethodPost, "/links/"+l.ID+"/start", ""); err != nil {
						errc <- err
						return
					}
					if _, err := call(http.MethodPost, "/links/"+l.ID+"/complete", `{"link_post":"https://example.invalid/p/`+l.ID+`"}`); err != nil {
						errc <- err
						return
					}
					done.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errc)
	for err := range errc {
		b.Fatal(err)
	}
	if done.Load() != benchTasks {
		b.Fatalf("workers completed %d of %d tasks", done.Load(), benchTasks)
	}
	slices.Sort(claimed)
	return float64(benchTasks) / elapsed.Seconds(), claimed[len(claimed)*99/100]
}

// runBareSQL drains workspace ws with the baseline loop and returns tasks/s.
func runBareSQL(b testing.TB, st *store.Store, ws int) float64 {
	b.Helper()
	ph := func(i int) string { return fmt.Sprintf("$%d", i) }
	lock := "FOR UPDATE SKIP LOCKED"
	if st.Driver.Dialect() != "postgres" {
		ph = func(i int) string { return fmt.Sprintf("?%d", i) }
		lock = "" // the immediate transaction holds the write lock
	}
	pick := fmt.Sprintf(`SELECT id FROM tasks WHERE workspace_id = %s AND status = 'PENDING' AND not_before <= %s
		ORDER BY priority DESC, not_before, id LIMIT %d %s`, ph(1), ph(2), benchBatch, lock)
	assign := fmt.Sprintf(`UPDATE tasks SET status = 'ASSIGNED', lease_owner = %s, lease_token = %s, lease_expires_at = %s,
		attempts = attempts + 1, updated_at = %s WHERE id = %s`, ph(1), ph(2), ph(3), ph(4), ph(5))
	startQ := fmt.Sprintf(`UPDATE tasks SET status = 'RUNNING', started_at = %s, updated_at = %s
		WHERE id = %s AND lease_token = %s AND status = 'ASSIGNED'`, ph(1), ph(1), ph(2), ph(3))
	complete := fmt.Sprintf(`UPDATE tasks SET status = 'COMPLETED', result = %s, finished_at = %s, lease_expires_at = NULL, updated_at = %s
		WHERE id = %s AND lease_token = %s AND status = 'RUNNING'`, ph(1), ph(2), ph(2), ph(3), ph(4))
	claim := func(ctx context.Context) (map[int]string, error) {
		tx, err := st.DB.BeginTx(ctx, nil)
		if err != nil {
			return nil, err
		}
		defer tx.Rollback()
		now := time.Now().UTC()
		rows, err := tx.QueryContext(ctx, pick, ws, now)
		if err != nil {
			return nil, err
		}
		var ids []int
		for rows.Next() {
			var id int
			if err := rows.Scan(&id); err != nil {
				return nil, err
			}
			ids = append(ids, id)
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
		out := make(map[int]string, len(ids))
		for _, id := range ids {
			var tok [32]byte
			_, _ = rand.Read(tok[:])
			out[id] = hex.EncodeToString(tok[:])
			if _, err := tx.ExecContext(ctx, assign, "bare", out[id], now.Add(10*time.Minute), now, id); err != nil {
				return nil, err
			}
		}
		return out, tx.Commit()
	}
	var (
		done atomic.Int64
		wg   sync.WaitGroup
		errc = make(chan error, benchWorkers)
	)
	start := time.Now()
	for range benchWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := b.Context()
			for {
				leases, err := claim(ctx)
				if err != nil {
					errc <- fmt.Errorf("bare claim: %w", err)
					return
				}
				if len(leases) == 0 {
					return
				}
				for id, tok := range leases {
					now := time.Now().UTC()
					if _, err := st.DB.ExecContext(ctx, startQ, now, id, tok); err != nil {
						errc <- err
						return
					}
					if _, err := st.DB.ExecContext(ctx, complete, `{"link_post":"x"}`, now, id, tok); err != nil {
						errc <- err
						return
					}
					done.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errc)
	for err := range errc {
		b.Fatal(err)
	}
	if done.Load() != benchTasks {
		b.Fatalf("bare SQL completed %d of %d tasks", done.Load(), benchTasks)
	}
	return float64(benchTasks) / elapsed.Seconds()
}
