package bench_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

const accountsPage = `{ accounts(first: 50) { edges { node { id username platform status createdAt } } } }`

// BenchmarkGraphQLAccounts measures `accounts(first: 50)` over HTTP on
// PostgreSQL and SQLite, with 10,000 accounts in the caller's workspace,
// against a plain net/http + database/sql + encoding/json handler returning
// the same 50 rows from the same database in the same run (no auth,
// privacy, limits or logging): requests/s, p99 and their ratios (targets:
// ≥ 0.5× the floor's rate, p99 ≤ 3× the floor's). Then the same page in a
// workspace of 1,000 and in one of 200,000 accounts (same database): the p50
// ratio, target ≤ 1.3, holds when the page is read off an index.
//
//	go test ./bench/ -run XXX -bench GraphQLAccounts -benchtime 1x -v
func BenchmarkGraphQLAccounts(b *testing.B) {
	for _, backend := range testkit.Backends() {
		b.Run(string(backend), func(b *testing.B) {
			st := testkit.Open(b, backend)
			srv := testkit.StartServer(b, st)
			u := srv.CreateUser(b, "gql", viewer.RoleMember, "gql")
			seedAccountsSQL(b, st, u.WorkspaceID, 10_000)
			token := srv.Login(b, "gql")
			floor := httptest.NewServer(accountsFloor(st, u.WorkspaceID))
			b.Cleanup(floor.Close)

			checkPage(b, gqlRequest(srv.URL, token))
			checkPage(b, gqlRequest(floor.URL, ""))
			// Three rounds each, alternating, so that a burst of load on the
			// shared machine does not fall on one side only.
			var ours, base loadStats
			for range 3 {
				ours = ours.merge(hammerStats(b, gqlRequest(srv.URL, token), http.StatusOK))
				base = base.merge(hammerStats(b, gqlRequest(floor.URL, ""), http.StatusOK))
			}
			b.Logf("%s accounts(first: 50), 10,000 in the workspace: ours %.0f req/s (p50 %s, p99 %s), floor %.0f req/s (p50 %s, p99 %s): rate ratio %.2f, p99 ratio %.2f",
				backend, ours.rate, ours.p50, ours.p99, base.rate, base.p50, base.p99, ours.rate/base.rate, float64(ours.p99)/float64(base.p99))
			b.ReportMetric(ours.rate, "req/s")
			b.ReportMetric(base.rate, "floor-req/s")
			b.ReportMetric(ours.rate/base.rate, "rate-ratio")
			b.ReportMetric(float64(ours.p99)/float64(base.p99), "p99-ratio")

			// Both workspaces are seeded (and, on PostgreSQL, vacuumed) before
			// either is measured, and the measurements alternate, so neither
			// pays for the other's bulk insert settling.
			sizes := []int{1_000, 200_000}
			reqs := make([]func(int) *http.Request, len(sizes))
			var wsIDs []int
			for i, n := range sizes {
				name := "gql" + strconv.Itoa(n)
				w := srv.CreateUser(b, name, viewer.RoleMember, name)
				start := time.Now()
				seedAccountsSQL(b, st, w.WorkspaceID, n)
				b.Logf("%s: seeded %d accounts in %s", backend, n, time.Since(start).Round(time.Millisecond))
				reqs[i] = gqlRequest(srv.URL, srv.Login(b, name))
				wsIDs = append(wsIDs, w.WorkspaceID)
				checkPage(b, reqs[i])
			}
			if st.Driver.Dialect() == "postgres" {
				if _, err := st.DB.ExecContext(b.Context(), `VACUUM ANALYZE accounts`); err != nil {
					b.Fatal(err)
				}
			}
			for _, ws := range wsIDs {
				explainPage(b, st, ws)
			}
			lats := make([][]time.Duration, len(sizes))
			for range 3 {
				for i := range sizes {
					lats[i] = append(lats[i], hammerStats(b, reqs[i], http.StatusOK).lat...)
				}
			}
			var p50s []time.Duration
			for i, n := range sizes {
				slices.Sort(lats[i])
				p50, p99 := lats[i][len(lats[i])/2], lats[i][len(lats[i])*99/100]
				b.Logf("%s accounts(first: 50), %d in the workspace: p50 %s, p99 %s", backend, n, p50, p99)
				p50s = append(p50s, p50)
			}
			ratio := float64(p50s[1]) / float64(p50s[0])
			b.Logf("%s page p50 at 200,000 / at 1,000 accounts: %.2f", backend, ratio)
			b.ReportMetric(ratio, "p50-ratio-200k/1k")
		})
	}
}

// checkPage fails the benchmark unless req answers a page of 50 accounts
// without errors: a GraphQL error is a fast 200 too.
func checkPage(b testing.TB, req func(int) *http.Request) {
	b.Helper()
	resp, err := http.DefaultClient.Do(req(0))
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Data struct {
			Accounts struct {
				Edges []json.RawMessage `json:"edges"`
			} `json:"accounts"`
		} `json:"data"`
		Errors []json.RawMessage `json:"errors"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || len(out.Errors) > 0 || len(out.Data.Accounts.Edges) != 50 {
		b.Fatalf("page: %d edges, errors %s, decode %v", len(out.Data.Accounts.Edges), out.Errors, err)
	}
}

func gqlRequest(base, token string) func(int) *http.Request {
	body, _ := json.Marshal(map[string]any{"query": accountsPage})
	return func(int) *http.Request {
		req, _ := http.NewRequest(http.MethodPost, base+"/query", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		return req
	}
}

// accountsFloor answers POST /query with the first 50 accounts of ws in the
// shape GraphQL gives them, using database/sql and encoding/json only.
func accountsFloor(st *store.Store, ws int) http.Handler {
	q := "SELECT id, username, platform, status, created_at FROM accounts WHERE workspace_id = ? ORDER BY id LIMIT 50"
	if st.Driver.Dialect() == "postgres" {
		q = strings.Replace(q, "?", "$1", 1)
	}
	type node struct {
		ID        string    `json:"id"`
		Username  string    `json:"username"`
		Platform  string    `json:"platform"`
		Status    string    `json:"status"`
		CreatedAt time.Time `json:"createdAt"`
	}
	type edge struct {
		Node node `json:"node"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct{ Query string }
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		rows, err := st.DB.QueryContext(r.Context(), q, ws)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		defer rows.Close()
		edges := make([]edge, 0, 50)
		for rows.Next() {
			var (
				e  edge
				id int
			)
			if err := rows.Scan(&id, &e.Node.Username, &e.Node.Platform, &e.Node.Status, &e.Node.CreatedAt); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			e.Node.ID = strconv.Itoa(id)
			edges = append(edges, e)
		}
		if err := rows.Err(); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"accounts": map[string]any{"edges": edges}}})
	})
}

// seedAccountsSQL inserts n Instagram accounts into workspace ws in one
// statement generated by the database (ent's bulk create takes minutes for
// 200,000), then refreshes PostgreSQL's statistics. The usernames are
// lower-case, so each is its own username_key (which ent's hook would set);
// object_ids are random, as ObjectIDAt's are past their time prefix.
func seedAccountsSQL(b testing.TB, st *store.Store, ws, n int) {
	b.Helper()
	now := time.Now().UTC()
	var q string
	switch st.Driver.Dialect() {
	case "postgres":
		q = `INSERT INTO accounts (uuid, object_id, created_at, updated_at, platform, username, username_key, status, workspace_id)
			SELECT gen_random_uuid(), substr(md5(gen_random_uuid()::text), 1, 24), $1, $1, 'instagram', 'bench' || i, 'bench' || i, 'ACTIVE', $2
			FROM generate_series(1, $3) AS i`
	default:
		q = `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?3)
			INSERT INTO accounts (uuid, object_id, created_at, updated_at, platform, username, username_key, status, workspace_id)
			SELECT lower(printf('%s-%s-7%s-8%s-%s', hex(randomblob(4)), hex(randomblob(2)),
				substr(hex(randomblob(2)), 2), substr(hex(randomblob(2)), 2), hex(randomblob(6)))),
				lower(hex(randomblob(12))), ?1, ?1, 'instagram', 'bench' || i, 'bench' || i, 'ACTIVE', ?2 FROM n`
	}
	if _, err := st.DB.ExecContext(b.Context(), q, now, ws, n); err != nil {
		b.Fatalf("seed %d accounts: %v", n, err)
	}
	if st.Driver.Dialect() == "postgres" {
		if _, err := st.DB.ExecContext(b.Context(), `ANALYZE accounts`); err != nil {
			b.Fatal(err)
		}
	}
}

type loadStats struct {
	rate     float64
	p50, p99 time.Duration
	lat      []time.Duration // sorted
}

// merge returns the statistics of the requests of s and t together.
func (s loadStats) merge(t loadStats) loadStats {
	if len(s.lat) == 0 {
		return t
	}
	n := len(s.lat) + len(t.lat)
	lat := slices.Concat(s.lat, t.lat)
	slices.Sort(lat)
	elapsed := float64(len(s.lat))/s.rate + float64(len(t.lat))/t.rate
	return loadStats{rate: float64(n) / elapsed, p50: lat[n/2], p99: lat[n*99/100], lat: lat}
}

// explainPage logs how the database reads ws's first page, in the form
// ent's tenant-scoped page query has (see server/store/tenant), so a slow
// page can be told from a busy machine (run with -v: a benchmark's log is
// cut after ten lines otherwise).
func explainPage(b testing.TB, st *store.Store, ws int) {
	b.Helper()
	q := "EXPLAIN QUERY PLAN SELECT id, username, platform, status, created_at FROM accounts WHERE workspace_id = ? ORDER BY workspace_id, id LIMIT 51"
	if st.Driver.Dialect() == "postgres" {
		q = "EXPLAIN (ANALYZE, BUFFERS) SELECT id, username, platform, status, created_at FROM accounts WHERE workspace_id IN ($1, $1) ORDER BY workspace_id, id LIMIT 51"
	}
	rows, err := st.DB.QueryContext(b.Context(), q, ws)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	cols, _ := rows.Columns()
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			b.Fatal(err)
		}
		plan = append(plan, fmt.Sprint(vals[len(vals)-1]))
	}
	b.Logf("workspace %d page plan:\n%s", ws, strings.Join(plan, "\n"))
}
