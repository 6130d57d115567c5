package bench_test

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/server/campaigns"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

const (
	sbSpams   = 100_000
	sbBatches = 10
	sbNames   = 1000
)

// BenchmarkShillbot measures, on PostgreSQL and SQLite, in the same run:
//
//   - GET /spams?limit=50 (with data.total and data.stat summed over the
//     app's 100,000 spams) against a plain net/http handler running the
//     same queries with database/sql and encoding the same JSON: req/s and
//     the ratio (target ≥ 0.8);
//
//   - POST /v1/customers/batch with 1,000 new names against a bare batched
//     INSERT … ON CONFLICT DO NOTHING of the same rows: mean time of each.
//
//     go test ./bench/ -run XXX -bench Shillbot -benchtime 1x
func BenchmarkShillbot(b *testing.B) {
	for _, backend := range testkit.Backends() {
		b.Run(string(backend), func(b *testing.B) {
			st := testkit.Open(b, backend)
			srv := testkit.StartServer(b, st)
			u := srv.CreateUser(b, "bench", viewer.RoleMember, "bench")
			key := srv.APIKey(b, u, viewer.ScopeAPI)
			ctx := testkit.ViewerContext(b.Context(), u)
			ws, err := st.Client.Workspace.Get(ctx, u.WorkspaceID)
			if err != nil {
				b.Fatal(err)
			}
			appID := ws.UUID.String()
			seedSpams(b, st, srv, u.WorkspaceID)
			base := httptest.NewServer(spamsFloor(st, u.WorkspaceID, appID))
			b.Cleanup(base.Close)

			spams := func(base string, withKey bool) func(int) *http.Request {
				return func(i int) *http.Request {
					req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/spams?appId=%s&limit=50&offset=%d", base, appID, (i%20)*50), nil)
					if withKey {
						req.Header.Set("X-Api-Key", key)
					}
					return req
				}
			}
			var ours, floor struct {
				Data struct {
					Total int            `json:"total"`
					Stat  campaigns.Stat `json:"stat"`
				} `json:"data"`
			}
			for _, c := range []struct {
				req func(int) *http.Request
				v   any
			}{{spams(srv.URL, true), &ours}, {spams(base.URL, false), &floor}} {
				resp, err := http.DefaultClient.Do(c.req(0))
				if err != nil {
					b.Fatal(err)
				}
				err = json.NewDecoder(resp.Body).Decode(c.v)
				resp.Body.Close()
				if err != nil {
					b.Fatal(err)
				}
			}
			if ours.Data.Total != sbSpams || ours.Data != floor.Data {
				b.Fatalf("answers differ: ours %+v, floor %+v", ours.Data, floor.Data)
			}
			// Alternate the two so neither gets the warmer cache.
			var oursRate, baseRate float64
			for range 2 {
				r, _ := hammer(b, spams(srv.URL, true), http.StatusOK)
				oursRate += r / 2
				r, _ = hammer(b, spams(base.URL, false), http.StatusOK)
				baseRate += r / 2
			}
			b.Logf("%s GET /spams?limit=50 with stat over %d spams: ours %.0f req/s, net/http %.0f req/s, ratio %.2f",
				backend, sbSpams, oursRate, baseRate, oursRate/baseRate)
			b.ReportMetric(oursRate/baseRate, "spams-ratio")

			var oursBatch, bareBatch time.Duration
			for i := range sbBatches {
				names := make([]string, sbNames)
				for j := range names {
					names[j] = fmt.Sprintf(`"r%d_u%d"`, i, j)
				}
				body := `{"type":"CREATE","names":[` + strings.Join(names, ",") + `]}`
				req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/customers/batch?appId="+appID, strings.NewReader(body))
				req.Header.Set("X-Api-Key", key)
				req.Header.Set("Content-Type", "application/json")
				t0 := time.Now()
				resp, err := http.DefaultClient.Do(req)
				if err != nil || resp.StatusCode != http.StatusOK {
					b.Fatalf("batch: %v %v", resp, err)
				}
				resp.Body.Close()
				oursBatch += time.Since(t0)

				t0 = time.Now()
				bareInsert(b, st, u.WorkspaceID, fmt.Sprintf("b%d", i))
				bareBatch += time.Since(t0)
			}
			n := st.Client.Customer.Query().CountX(ctx)
			if n != 2*sbBatches*sbNames {
				b.Fatalf("%d customers, want %d", n, 2*sbBatches*sbNames)
			}
			b.Logf("%s POST /v1/customers/batch of %d names: ours %s, bare INSERT … ON CONFLICT DO NOTHING %s (mean of %d), ratio %.2f",
				backend, sbNames, oursBatch/sbBatches, bareBatch/sbBatches, sbBatches, float64(oursBatch)/float64(bareBatch))
			b.ReportMetric(float64(oursBatch/sbBatches)/1e6, "batch-ms")
		})
	}
}

// seedSpams makes a campaign with one bot and one customer and inserts
// sbSpams DONE x_post tasks of it in one statement, with metrics in the
// result and its columns, as the x_post handler writes them.
func seedSpams(b testing.TB, st *store.Store, srv *testkit.Server, ws int) {
	b.Helper()
	u, err := st.Client.User.Query().First(viewer.NewContext(b.Context(), &viewer.Viewer{WorkspaceID: ws}))
	if err != nil {
		b.Fatal(err)
	}
	ctx := testkit.ViewerContext(b.Context(), u)
	bot := st.Client.Account.Create().SetPlatform(account.PlatformX).SetUsername("bot").SetStatus(account.StatusACTIVE).SaveX(ctx)
	cat, err := srv.App.Campaigns.CreateCategory(ctx, "bench")
	if err != nil {
		b.Fatal(err)
	}
	g, err := srv.App.Customers.CreateGroup(ctx, "bench")
	if err != nil {
		b.Fatal(err)
	}
	sc, err := srv.App.Campaigns.Create(ctx, campaigns.CreateInput{Title: "bench", CategoryID: cat.UUID, PostPerDay: 1,
		BotIDs: []uuid.UUID{bot.UUID}, CustomerGroupIDs: []uuid.UUID{g.UUID}, Type: campaigns.TypeUsers, TemplateContents: []string{"gm"}})
	if err != nil {
		b.Fatal(err)
	}
	cust := uuid.NewString()
	payload := `{"content":"gm fren","images":[],"customerId":"` + cust + `","customerName":"alice"}`
	result := `{"tweetId":"1","postTweetId":"2","tweetUrl":"https://x.com/bot/status/2","metrics":{"views":100,"likes":5,"replies":2,"retweets":1}}`
	now := time.Now().Add(-time.Minute).UTC()
	var q string
	switch st.Driver.Dialect() {
	case "postgres":
		q = `INSERT INTO tasks (uuid, created_at, updated_at, finished_at, kind, status, not_before, workspace_id, priority, account_id, schedule_id, payload, result,
				metric_views, metric_likes, metric_replies, metric_reposts)
			SELECT gen_random_uuid(), $1, $1, $1, 'X_POST', 'COMPLETED', $1, $2, 0, $4, $5, $6::jsonb, $7::jsonb, 100, 5, 2, 1 FROM generate_series(1, $3)`
	default:
		q = `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?3)
			INSERT INTO tasks (uuid, created_at, updated_at, finished_at, kind, status, not_before, workspace_id, priority, account_id, schedule_id, payload, result,
				metric_views, metric_likes, metric_replies, metric_reposts)
			SELECT lower(printf('%s-%s-7%s-8%s-%s', hex(randomblob(4)), hex(randomblob(2)),
				substr(hex(randomblob(2)), 2), substr(hex(randomblob(2)), 2), hex(randomblob(6)))),
				?1, ?1, ?1, 'X_POST', 'COMPLETED', ?1, ?2, 0, ?4, ?5, ?6, ?7, 100, 5, 2, 1 FROM n`
	}
	if _, err := st.DB.ExecContext(b.Context(), q, now, ws, sbSpams, bot.ID, sc.ID, payload, result); err != nil {
		b.Fatalf("seed spams: %v", err)
	}
	if st.Driver.Dialect() == "postgres" {
		// As autovacuum would before long: the sums read the index alone
		// once the heap is marked visible.
		if _, err := st.DB.ExecContext(b.Context(), `VACUUM ANALYZE tasks`); err != nil {
			b.Fatal(err)
		}
	}
}

// spamsFloor serves GET /spams with database/sql and encoding/json only:
// the same count and sums (over the same metric columns), the same page
// with its bot and campaign, and the page's customers.
func spamsFloor(st *store.Store, ws int, appID string) http.Handler {
	ph := st.Driver.Placeholder
	statQ := "SELECT count(*), COALESCE(SUM(t.metric_views), 0), COALESCE(SUM(t.metric_likes), 0), COALESCE(SUM(t.metric_replies), 0), COALESCE(SUM(t.metric_reposts), 0)" +
		" FROM tasks t WHERE t.workspace_id = " + ph(1) + " AND t.kind = 'X_POST'"
	pageQ := `SELECT t.uuid, t.status, t.error, t.payload, t.result, t.created_at, t.updated_at, t.finished_at,
		a.uuid, a.username, a.status, s.uuid, s.name, s.settings, s.status
		FROM tasks t LEFT JOIN accounts a ON a.id = t.account_id LEFT JOIN schedules s ON s.id = t.schedule_id
		WHERE t.workspace_id = ` + ph(1) + ` AND t.kind = 'X_POST' ORDER BY t.created_at DESC, t.id DESC LIMIT ` + ph(2) + ` OFFSET ` + ph(3)
	type item struct {
		ID           string            `json:"id"`
		Status       string            `json:"status"`
		Error        *string           `json:"error"`
		AppID        string            `json:"appId"`
		Content      string            `json:"content"`
		Images       []string          `json:"images"`
		TweetID      string            `json:"tweetId"`
		TweetURL     string            `json:"tweetUrl"`
		PostTweetID  string            `json:"postTweetId"`
		CustomerID   string            `json:"customerId"`
		PostView     int64             `json:"postView"`
		LikeCount    int64             `json:"likeCount"`
		ReplyCount   int64             `json:"replyCount"`
		RetweetCount int64             `json:"retweetCount"`
		PostTime     *time.Time        `json:"postTime"`
		CreatedAt    time.Time         `json:"createdAt"`
		UpdatedAt    time.Time         `json:"updatedAt"`
		Customer     map[string]any    `json:"customer"`
		Task         map[string]any    `json:"task"`
		Bot          map[string]string `json:"bot"`
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /spams", func(w http.ResponseWriter, r *http.Request) {
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
		var out struct {
			Total int            `json:"total"`
			Stat  campaigns.Stat `json:"stat"`
			Data  []item         `json:"data"`
		}
		err := st.DB.QueryRowContext(r.Context(), statQ, ws).Scan(&out.Total, &out.Stat.Views, &out.Stat.Likes, &out.Stat.Replies, &out.Stat.Reposts)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		rows, err := st.DB.QueryContext(r.Context(), pageQ, ws, limit, offset)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		defer rows.Close()
		custs := map[string]bool{}
		for rows.Next() {
			var (
				it                          item
				errText                     string
				payload, result, settings   []byte
				finished                    sql.NullTime
				botID, botName, botStatus   string
				taskID, taskName, taskState string
			)
			if err := rows.Scan(&it.ID, &it.Status, &errText, &payload, &result, &it.CreatedAt, &it.UpdatedAt, &finished,
				&botID, &botName, &botStatus, &taskID, &taskName, &settings, &taskState); err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			var p campaigns.PostPayload
			var res campaigns.PostResult
			var set campaigns.Settings
			_ = json.Unmarshal(payload, &p)
			_ = json.Unmarshal(result, &res)
			_ = json.Unmarshal(settings, &set)
			it.AppID, it.Content, it.Images, it.CustomerID = appID, p.Content, p.Images, p.CustomerID
			it.TweetID, it.TweetURL, it.PostTweetID = res.TweetID, res.TweetURL, res.PostTweetID
			if m := res.Metrics; m != nil {
				it.PostView, it.LikeCount, it.ReplyCount, it.RetweetCount = m.Views, m.Likes, m.Replies, m.Retweets
			}
			if finished.Valid {
				it.PostTime = &finished.Time
			}
			if errText != "" {
				it.Error = &errText
			}
			it.Bot = map[string]string{"id": botID, "username": botName, "status": botStatus}
			it.Task = map[string]any{"id": taskID, "title": taskName, "type": set.Type, "status": taskState}
			custs[p.CustomerID] = true
			out.Data = append(out.Data, it)
		}
		if err := rows.Err(); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		ids := make([]any, 0, len(custs))
		marks := make([]string, 0, len(custs))
		for id := range custs {
			ids = append(ids, id)
			marks = append(marks, ph(len(ids)))
		}
		if len(ids) > 0 {
			crows, err := st.DB.QueryContext(r.Context(), "SELECT uuid, username, created_at FROM customers WHERE uuid IN ("+strings.Join(marks, ", ")+")", ids...)
			if err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			for crows.Next() {
			}
			crows.Close()
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"data": out, "path": r.URL.RequestURI(), "method": r.Method, "message": "success", "statusCode": 200})
	})
	return mux
}

// bareInsert writes sbNames customers named prefix_uN in one INSERT … ON
// CONFLICT DO NOTHING, the floor of the batch import.
func bareInsert(b testing.TB, st *store.Store, ws int, prefix string) {
	b.Helper()
	cols := []string{"uuid", "created_at", "updated_at", "workspace_id", "username", "username_key"}
	q := store.UpsertRows(st.Driver, "customers", cols, []string{"workspace_id", "username_key"}, nil, sbNames)
	now := time.Now()
	args := make([]any, 0, sbNames*len(cols))
	for j := range sbNames {
		n := fmt.Sprintf("%s_u%d", prefix, j)
		args = append(args, uuid.New(), now, now, ws, n, n)
	}
	if _, err := st.DB.ExecContext(b.Context(), q, args...); err != nil {
		b.Fatalf("bare insert: %v", err)
	}
}
