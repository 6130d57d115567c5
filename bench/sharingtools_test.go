package bench_test

import (
	"cmp"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/schema"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

const (
	stAccounts    = 10_000
	stRequests    = 600
	stConcurrency = 4
	stRounds      = 3
)

// stRound is one round of a Sharingtools route: ours, then the floor.
type stRound struct {
	ours, base       float64
	oursP99, baseP99 time.Duration
}

// ratios lists the rounds' ratios, lowest first.
func ratios(rs []stRound) string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = strconv.FormatFloat(r.ours/r.base, 'f', 2, 64)
	}
	return strings.Join(out, " ")
}

// BenchmarkSharingtools measures two Sharingtools routes end to end over
// HTTP on PostgreSQL and SQLite — GET /api/v1/accounts?per_page=100 over
// 10,000 accounts, and POST /api/v1/posts — each against a plain net/http
// handler doing the same queries on the same database in the same run (no
// auth, privacy, request log or validation), in three alternating rounds.
// It reports requests/s, p99 and the ratio of the median round.
//
//	go test ./bench/ -run XXX -bench Sharingtools -benchtime 1x
func BenchmarkSharingtools(b *testing.B) {
	for _, backend := range testkit.Backends() {
		b.Run(string(backend), func(b *testing.B) {
			st := testkit.Open(b, backend)
			srv := testkit.StartServer(b, st)
			u := srv.CreateUser(b, "bench", viewer.RoleMember, "bench")
			key := srv.APIKey(b, u, viewer.ScopeAPI)
			accountID := seedAccounts(b, st, u, stAccounts)
			base := httptest.NewServer(baseline(st, u.WorkspaceID))
			b.Cleanup(base.Close)

			list := func(base string, withKey bool) func(i int) *http.Request {
				return func(i int) *http.Request {
					req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/api/v1/accounts?per_page=100&page=%d", base, 1+i%(stAccounts/100)), nil)
					if withKey {
						req.Header.Set("X-API-Key", key)
					}
					return req
				}
			}
			create := func(base string, withKey bool) func(i int) *http.Request {
				return func(i int) *http.Request {
					body := fmt.Sprintf(`{"account_id":%d,"caption":"bench post %d","link":"https://example.com/%d"}`, accountID, i, i)
					req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/posts", strings.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					if withKey {
						req.Header.Set("X-API-Key", key)
					}
					return req
				}
			}
			for _, c := range []struct {
				name      string
				ours, bas func(int) *http.Request
				want      int
			}{
				{"GET accounts?per_page=100", list(srv.URL, true), list(base.URL, false), http.StatusOK},
				{"POST posts", create(srv.URL, true), create(base.URL, false), http.StatusCreated},
			} {
				// Rounds alternate ours and the floor, so that a burst of
				// load from elsewhere on the machine weighs on both, and
				// the median round is reported.
				var rounds []stRound
				for range stRounds {
					var r stRound
					r.ours, r.oursP99 = hammer(b, c.ours, c.want)
					r.base, r.baseP99 = hammer(b, c.bas, c.want)
					rounds = append(rounds, r)
				}
				slices.SortFunc(rounds, func(x, y stRound) int { return cmp.Compare(x.ours/x.base, y.ours/y.base) })
				r := rounds[len(rounds)/2]
				b.Logf("%s %s: ours %.0f req/s (p99 %s), net/http %.0f req/s (p99 %s), ratio %.2f (median of %d alternating rounds: %s)",
					backend, c.name, r.ours, r.oursP99, r.base, r.baseP99, r.ours/r.base, stRounds, ratios(rounds))
				unit := strings.Fields(c.name)[0]
				b.ReportMetric(r.ours, unit+"-req/s")
				b.ReportMetric(r.ours/r.base, unit+"-ratio")
			}
		})
	}
}

// seedAccounts creates n Instagram accounts in u's workspace and returns
// one of them.
func seedAccounts(b testing.TB, st *store.Store, u *ent.User, n int) int {
	b.Helper()
	ctx := testkit.ViewerContext(b.Context(), u)
	var first int
	for start := 0; start < n; start += 1000 {
		bulk := make([]*ent.AccountCreate, 0, 1000)
		for i := start; i < min(n, start+1000); i++ {
			bulk = append(bulk, st.Client.Account.Create().SetPlatform(account.PlatformInstagram).
				SetUsername("bench"+strconv.Itoa(i)).SetStatus(account.StatusACTIVE).SetProxy("http://proxy.example:8080"))
		}
		as, err := st.Client.Account.CreateBulk(bulk...).Save(ctx)
		if err != nil {
			b.Fatalf("seed accounts: %v", err)
		}
		if first == 0 {
			first = as[0].ID
		}
	}
	if st.Driver.Dialect() == "postgres" {
		if _, err := st.DB.ExecContext(b.Context(), `ANALYZE accounts`); err != nil {
			b.Fatal(err)
		}
	}
	return first
}

// hammer sends stRequests requests from stConcurrency clients and returns
// the rate and p99 latency; any other status than want fails the benchmark.
func hammer(b testing.TB, req func(i int) *http.Request, want int) (float64, time.Duration) {
	s := hammerStats(b, req, want)
	return s.rate, s.p99
}

// hammerStats is hammer with the median latency too.
func hammerStats(b testing.TB, req func(i int) *http.Request, want int) loadStats {
	b.Helper()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: stConcurrency}}
	var (
		mu   sync.Mutex
		lat  []time.Duration
		next = make(chan int)
		wg   sync.WaitGroup
	)
	start := time.Now()
	for range stConcurrency {
		wg.Go(func() {
			for i := range next {
				t0 := time.Now()
				resp, err := client.Do(req(i))
				if err != nil {
					b.Error(err)
					continue
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != want {
					b.Errorf("status %d, want %d: %.200s", resp.StatusCode, want, body)
				}
				mu.Lock()
				lat = append(lat, time.Since(t0))
				mu.Unlock()
			}
		})
	}
	for i := range stRequests {
		next <- i
	}
	close(next)
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(lat)
	return loadStats{rate: float64(stRequests) / elapsed.Seconds(), p50: lat[len(lat)/2], p99: lat[len(lat)*99/100], lat: lat}
}

// baseline serves the same two routes with database/sql and encoding/json
// only: the floor our routes are compared with.
func baseline(st *store.Store, ws int) http.Handler {
	ph := func(i int) string {
		if st.Driver.Dialect() == "postgres" {
			return "$" + strconv.Itoa(i)
		}
		return "?" + strconv.Itoa(i)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/accounts", func(w http.ResponseWriter, r *http.Request) {
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		per, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
		rows, err := st.DB.QueryContext(r.Context(),
			"SELECT id, username, proxy, status, created_at FROM accounts WHERE workspace_id = "+ph(1)+
				" ORDER BY id DESC LIMIT "+ph(2)+" OFFSET "+ph(3), ws, per, (page-1)*per)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		defer rows.Close()
		type acct struct {
			ID            int    `json:"id"`
			Username      string `json:"username"`
			Proxy         string `json:"proxy"`
			LoginRequired bool   `json:"login_required"`
			Date          string `json:"date"`
		}
		var out []acct
		for rows.Next() {
			var a acct
			var status string
			var created time.Time
			if err := rows.Scan(&a.ID, &a.Username, &a.Proxy, &status, &created); err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			a.LoginRequired, a.Date = status == "LOGIN_REQUIRED", created.UTC().Format("2006-01-02 15:04:05")
			out = append(out, a)
		}
		var total int
		if err := st.DB.QueryRowContext(r.Context(), "SELECT count(*) FROM accounts WHERE workspace_id = "+ph(1), ws).Scan(&total); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"result": 1, "data": out, "meta": map[string]int{"page": page, "per_page": per, "total": total}})
	})
	mux.HandleFunc("POST /api/v1/posts", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			AccountID int    `json:"account_id"`
			Caption   string `json:"caption"`
			Link      string `json:"link"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		now := time.Now().UTC()
		var id int
		err := func() error {
			tx, err := st.DB.BeginTx(r.Context(), nil)
			if err != nil {
				return err
			}
			defer func() { _ = tx.Rollback() }()
			err = tx.QueryRowContext(r.Context(),
				"INSERT INTO posts (uuid, object_id, created_at, updated_at, body, link, workspace_id) VALUES ("+
					ph(1)+", "+ph(6)+", "+ph(2)+", "+ph(2)+", "+ph(3)+", "+ph(4)+", "+ph(5)+") RETURNING id",
				uuid.Must(uuid.NewV7()).String(), now, in.Caption, in.Link, ws, schema.NewObjectID()).Scan(&id)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(r.Context(), "INSERT INTO post_accounts (post_id, account_id) VALUES ("+ph(1)+", "+ph(2)+")", id, in.AccountID); err != nil {
				return err
			}
			return tx.Commit()
		}()
		if err != nil && err != sql.ErrTxDone {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]any{"result": 1, "data": map[string]any{"id": id, "account_id": in.AccountID, "caption": in.Caption}})
	})
	return mux
}
