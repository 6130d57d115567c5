package bench_test

import (
	"bytes"
	"context"
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

	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// nativeBatch is what a native worker claims at a time.
const nativeBatch = 50

// BenchmarkWorkerGraphQL runs the native batched worker loop end to end
// over HTTP — claimTasks(limit: 50), then one reportTasks with a START and
// a COMPLETE for each task — with 8 concurrent workers draining 5,000 post
// tasks (100 posts × 50 accounts, every report rolling up into its post),
// on PostgreSQL and on SQLite. In the same run, on the same database, the
// baseline drains another 5,000 with bare SQL of the same shape: a claim
// of 50 (FOR UPDATE SKIP LOCKED on PostgreSQL, an immediate transaction on
// SQLite) leased with one UPDATE, then one transaction with one UPDATE
// starting the 50 and one completing them — no HTTP, auth, privacy,
// logs, events or roll-ups. It reports tasks/s for both and their ratio.
//
//	go test ./bench/ -run XXX -bench WorkerGraphQL -benchtime 1x
func BenchmarkWorkerGraphQL(b *testing.B) {
	for _, backend := range testkit.Backends() {
		b.Run(string(backend), func(b *testing.B) {
			st := testkit.Open(b, backend)
			srv := testkit.StartServer(b, st)
			u := srv.CreateUser(b, "bench", viewer.RoleMember, "bench")
			key := srv.APIKey(b, u, viewer.ScopeWorker)

			seedPostTasks(b, st, u.WorkspaceID, benchTasks)
			ours, lat := runGraphQLWorkers(b, srv.URL, key)

			_, ws := benchWorkspace(b, st)
			seedPostTasks(b, st, ws, benchTasks)
			bare := runBareSQLBatched(b, st, ws)

			b.Logf("%s: %d workers, %d tasks, batches of %d: GraphQL %.0f tasks/s (claimTasks p50 %s p99 %s, reportTasks p50 %s p99 %s), bare SQL %.0f tasks/s, ratio %.2f",
				backend, benchWorkers, benchTasks, nativeBatch, ours, lat.claimP50, lat.claimP99, lat.reportP50, lat.reportP99, bare, ours/bare)
			b.ReportMetric(ours, "tasks/s")
			b.ReportMetric(bare, "bare-tasks/s")
			b.ReportMetric(ours/bare, "ratio")
		})
	}
}

const (
	benchClaim  = `mutation($n: Int!) { claimTasks(input: {limit: $n, worker: "bench"}) { leases { token task { id } } } }`
	benchReport = `mutation($r: [TaskReportInput!]!) { reportTasks(input: {reports: $r}) { results { error { code message } } } }`
)

// nativeLatency is what the native loop's calls took.
type nativeLatency struct{ claimP50, claimP99, reportP50, reportP99 time.Duration }

// runGraphQLWorkers drains the workspace's tasks with benchWorkers native
// workers and returns tasks/s and the latencies of its calls.
func runGraphQLWorkers(b testing.TB, base, key string) (float64, nativeLatency) {
	b.Helper()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2 * benchWorkers}, Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()
	call := func(ctx context.Context, query string, vars map[string]any, out any) error {
		body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
		if err != nil {
			return err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/query", bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("X-API-Key", key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		var r struct {
			Data   json.RawMessage `json:"data"`
			Errors []struct {
				Message string `json:"message"`
			} `json:"errors"`
		}
		if err := json.Unmarshal(raw, &r); err != nil || resp.StatusCode != http.StatusOK || len(r.Errors) > 0 {
			return fmt.Errorf("status %d: %s", resp.StatusCode, raw)
		}
		return json.Unmarshal(r.Data, out)
	}
	var (
		done                atomic.Int64
		wg                  sync.WaitGroup
		errc                = make(chan error, benchWorkers)
		mu                  sync.Mutex
		claimLat, reportLat []time.Duration
	)
	timed := func(into *[]time.Duration, t0 time.Time) {
		mu.Lock()
		*into = append(*into, time.Since(t0))
		mu.Unlock()
	}
	start := time.Now()
	for range benchWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := b.Context()
			for {
				t0 := time.Now()
				var claimed struct {
					ClaimTasks struct {
						Leases []struct {
							Token string `json:"token"`
							Task  struct {
								ID string `json:"id"`
							} `json:"task"`
						} `json:"leases"`
					} `json:"claimTasks"`
				}
				if err := call(ctx, benchClaim, map[string]any{"n": nativeBatch}, &claimed); err != nil {
					errc <- fmt.Errorf("claim: %w", err)
					return
				}
				timed(&claimLat, t0)
				leases := claimed.ClaimTasks.Leases
				if len(leases) == 0 {
					return
				}
				reports := make([]map[string]any, 0, 2*len(leases))
				for _, l := range leases {
					reports = append(reports,
						map[string]any{"taskId": l.Task.ID, "leaseToken": l.Token, "outcome": "START"},
						map[string]any{"taskId": l.Task.ID, "leaseToken": l.Token, "outcome": "COMPLETE",
							"result": map[string]any{"link_post": "https://example.invalid/p/" + l.Task.ID}})
				}
				t0 = time.Now()
				var reported struct {
					ReportTasks struct {
						Results []struct {
							Error *struct{ Code, Message string } `json:"error"`
						} `json:"results"`
					} `json:"reportTasks"`
				}
				if err := call(ctx, benchReport, map[string]any{"r": reports}, &reported); err != nil {
					errc <- fmt.Errorf("report: %w", err)
					return
				}
				timed(&reportLat, t0)
				for _, r := range reported.ReportTasks.Results {
					if r.Error != nil {
						errc <- fmt.Errorf("report refused: %s %s", r.Error.Code, r.Error.Message)
						return
					}
				}
				done.Add(int64(len(leases)))
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
	slices.Sort(claimLat)
	slices.Sort(reportLat)
	lat := nativeLatency{claimLat[len(claimLat)/2], claimLat[len(claimLat)*99/100], reportLat[len(reportLat)/2], reportLat[len(reportLat)*99/100]}
	return float64(benchTasks) / elapsed.Seconds(), lat
}

// runBareSQLBatched drains workspace ws with the batched baseline loop and
// returns tasks/s.
func runBareSQLBatched(b testing.TB, st *store.Store, ws int) float64 {
	b.Helper()
	ph := st.Driver.Placeholder
	lock := "FOR UPDATE SKIP LOCKED"
	if st.Driver.Dialect() != "postgres" {
		lock = "" // the immediate transaction holds the write lock
	}
	pick := fmt.Sprintf(`SELECT id FROM tasks WHERE workspace_id = %s AND status = 'PENDING' AND not_before <= %s
		ORDER BY priority DESC, not_before, id LIMIT %d %s`, ph(1), ph(2), nativeBatch, lock)
	in := func(ids []int, from int) (string, []any) {
		marks := make([]string, len(ids))
		args := make([]any, len(ids))
		for i, id := range ids {
			marks[i], args[i] = ph(from+i), id
		}
		return strings.Join(marks, ", "), args
	}
	claim := func(ctx context.Context) ([]int, error) {
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
		if len(ids) == 0 {
			return nil, tx.Commit()
		}
		marks, args := in(ids, 4)
		assign := fmt.Sprintf(`UPDATE tasks SET status = 'ASSIGNED', lease_owner = 'bare', lease_token = %s || id,
			lease_expires_at = %s, attempts = attempts + 1, updated_at = %s WHERE id IN (%s)`, ph(1), ph(2), ph(3), marks)
		if _, err := tx.ExecContext(ctx, assign, append([]any{"bare-", now.Add(10 * time.Minute), now}, args...)...); err != nil {
			return nil, err
		}
		return ids, tx.Commit()
	}
	report := func(ctx context.Context, ids []int) error {
		tx, err := st.DB.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		now := time.Now().UTC()
		marks, args := in(ids, 2)
		startQ := fmt.Sprintf(`UPDATE tasks SET status = 'RUNNING', started_at = %s, updated_at = %s
			WHERE status = 'ASSIGNED' AND id IN (%s)`, ph(1), ph(1), marks)
		if _, err := tx.ExecContext(ctx, startQ, append([]any{now}, args...)...); err != nil {
			return err
		}
		marks, args = in(ids, 3)
		complete := fmt.Sprintf(`UPDATE tasks SET status = 'COMPLETED', result = %s, finished_at = %s, lease_expires_at = NULL, updated_at = %s
			WHERE status = 'RUNNING' AND id IN (%s)`, ph(1), ph(2), ph(2), marks)
		if _, err := tx.ExecContext(ctx, complete, append([]any{`{"link_post":"x"}`, now}, args...)...); err != nil {
			return err
		}
		return tx.Commit()
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
				ids, err := claim(ctx)
				if err != nil {
					errc <- fmt.Errorf("bare claim: %w", err)
					return
				}
				if len(ids) == 0 {
					return
				}
				if err := report(ctx, ids); err != nil {
					errc <- fmt.Errorf("bare report: %w", err)
					return
				}
				done.Add(int64(len(ids)))
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
