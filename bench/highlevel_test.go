package bench_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/category"
	"github.com/switchboardhq/switchboard/ent/post"
	"github.com/switchboardhq/switchboard/ent/tag"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

const hlPosts = 100_000

// BenchmarkHighLevel measures, on PostgreSQL and SQLite, in the same run,
// POST /social-media-posting/{locationId}/posts/list with limit 50 over a
// location's 100,000 posts against a plain net/http handler running the
// same ent queries (count, then the page with its accounts, tags and
// category) and encoding the page as JSON: req/s and the ratio (target
// ≥ 0.8).
//
//	go test ./bench/ -run XXX -bench HighLevel -benchtime 1x
func BenchmarkHighLevel(b *testing.B) {
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
			loc := ws.UUID.String()
			seedPlannedPosts(b, st, u.WorkspaceID)
			floor := httptest.NewServer(postsFloor(st, u))
			b.Cleanup(floor.Close)

			list := func(base string, withKey bool) func(int) *http.Request {
				return func(i int) *http.Request {
					body := fmt.Sprintf(`{"type":"all","skip":"%d","limit":"50","fromDate":"","toDate":"","includeUsers":"false"}`, (i%20)*50)
					req, _ := http.NewRequest(http.MethodPost, base+"/social-media-posting/"+loc+"/posts/list", strings.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					if withKey {
						req.Header.Set("Authorization", "Bearer "+key)
						req.Header.Set("Version", "2021-07-28")
					}
					return req
				}
			}
			var ours struct {
				Results struct {
					Count int               `json:"count"`
					Posts []json.RawMessage `json:"posts"`
				} `json:"results"`
			}
			resp, err := http.DefaultClient.Do(list(srv.URL, true)(0))
			if err != nil {
				b.Fatal(err)
			}
			err = json.NewDecoder(resp.Body).Decode(&ours)
			resp.Body.Close()
			if err != nil || ours.Results.Count != hlPosts || len(ours.Results.Posts) != 50 {
				b.Fatalf("ours: %d posts of %d (%v)", len(ours.Results.Posts), ours.Results.Count, err)
			}
			var oursRate, baseRate float64
			for range 2 {
				r, _ := hammer(b, list(srv.URL, true), http.StatusCreated)
				oursRate += r / 2
				r, _ = hammer(b, list(floor.URL, false), http.StatusCreated)
				baseRate += r / 2
			}
			b.Logf("%s POST /posts/list limit 50 over %d posts: ours %.0f req/s, net/http + ent %.0f req/s, ratio %.2f",
				backend, hlPosts, oursRate, baseRate, oursRate/baseRate)
			b.ReportMetric(oursRate/baseRate, "list-ratio")
		})
	}
}

// seedPlannedPosts inserts hlPosts scheduled posts of workspace ws in one
// statement, each on one account with a tag and a category.
func seedPlannedPosts(b testing.TB, st *store.Store, ws int) {
	b.Helper()
	ctx := viewer.NewContext(b.Context(), &viewer.Viewer{WorkspaceID: ws})
	acc := st.Client.Account.Create().SetPlatform(account.PlatformFacebook).SetUsername("page").SaveX(ctx)
	cat := st.Client.Category.Create().SetName("bench").SaveX(ctx)
	tg := st.Client.Tag.Create().SetName("bench").SaveX(ctx)
	now := time.Now().UTC()
	details := `{"type":"post","userId":"0123456789abcdef01234567"}`
	var q string
	switch st.Driver.Dialect() {
	case "postgres":
		q = `INSERT INTO posts (uuid, object_id, created_at, updated_at, body, media, status, scheduled_at, source, details, workspace_id, category_id)
			SELECT gen_random_uuid(), substr(md5(random()::text || i::text), 1, 24), $1, $1, 'Hello', '["https://cdn.example.com/i.jpg"]'::jsonb,
				'SCHEDULED', $1, 'API', $4::jsonb, $2, $5 FROM generate_series(1, $3) AS i`
	default:
		q = `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?3)
			INSERT INTO posts (uuid, object_id, created_at, updated_at, body, media, status, scheduled_at, source, details, workspace_id, category_id)
			SELECT lower(printf('%s-%s-7%s-8%s-%s', hex(randomblob(4)), hex(randomblob(2)),
				substr(hex(randomblob(2)), 2), substr(hex(randomblob(2)), 2), hex(randomblob(6)))),
				lower(hex(randomblob(12))), ?1, ?1, 'Hello', '["https://cdn.example.com/i.jpg"]', 'SCHEDULED', ?1, 'API', ?4, ?2, ?5 FROM n`
	}
	if _, err := st.DB.ExecContext(b.Context(), q, now, ws, hlPosts, details, cat.ID); err != nil {
		b.Fatalf("seed posts: %v", err)
	}
	for _, join := range []string{
		"INSERT INTO post_accounts (post_id, account_id) SELECT id, %d FROM posts WHERE workspace_id = %d",
		"INSERT INTO post_tag_refs (post_id, tag_id) SELECT id, %d FROM posts WHERE workspace_id = %d",
	} {
		id := acc.ID
		if strings.Contains(join, "tag") {
			id = tg.ID
		}
		if _, err := st.DB.ExecContext(b.Context(), fmt.Sprintf(join, id, ws)); err != nil {
			b.Fatalf("seed post links: %v", err)
		}
	}
	if st.Driver.Dialect() == "postgres" {
		if _, err := st.DB.ExecContext(b.Context(), `ANALYZE posts; ANALYZE post_accounts; ANALYZE post_tag_refs`); err != nil {
			b.Fatal(err)
		}
	}
}

// postsFloor serves the same list with the ent client and encoding/json
// only: no authentication, Version header, location lookup or body
// validation, as u.
func postsFloor(st *store.Store, u *ent.User) http.Handler {
	type item struct {
		ID           string    `json:"_id"`
		Summary      string    `json:"summary"`
		Status       string    `json:"status"`
		ScheduleDate time.Time `json:"scheduleDate"`
		CreatedAt    time.Time `json:"createdAt"`
		UpdatedAt    time.Time `json:"updatedAt"`
		Media        []string  `json:"media"`
		AccountIDs   []string  `json:"accountIds"`
		Tags         []string  `json:"tags"`
		CategoryID   string    `json:"categoryId"`
		Details      any       `json:"details"`
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /social-media-posting/{loc}/posts/list", func(w http.ResponseWriter, r *http.Request) {
		var in struct{ Skip, Limit string }
		_ = json.NewDecoder(r.Body).Decode(&in)
		var skip, limit int
		fmt.Sscan(in.Skip, &skip)
		fmt.Sscan(in.Limit, &limit)
		ctx := testkit.ViewerContext(r.Context(), u)
		q := st.Client.Post.Query().Where(post.StatusNEQ(post.StatusDELETED))
		total, err := q.Clone().Count(ctx)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		ps, err := q.WithAccounts(func(q *ent.AccountQuery) { q.Select(account.FieldObjectID) }).
			WithTagRefs(func(q *ent.TagQuery) { q.Select(tag.FieldObjectID) }).
			WithCategoryRef(func(q *ent.CategoryQuery) { q.Select(category.FieldObjectID) }).
			Order(ent.Desc(post.FieldID)).Offset(skip).Limit(limit).All(ctx)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		out := make([]item, len(ps))
		for i, p := range ps {
			it := item{ID: p.ObjectID, Summary: p.Body, Status: string(p.Status), CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt, Media: p.Media}
			if p.ScheduledAt != nil {
				it.ScheduleDate = *p.ScheduledAt
			}
			var d any
			_ = json.Unmarshal(p.Details, &d)
			it.Details = d
			for _, a := range p.Edges.Accounts {
				it.AccountIDs = append(it.AccountIDs, a.ObjectID)
			}
			for _, t := range p.Edges.TagRefs {
				it.Tags = append(it.Tags, t.ObjectID)
			}
			if c := p.Edges.CategoryRef; c != nil {
				it.CategoryID = c.ObjectID
			}
			out[i] = it
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]any{"success": true, "statusCode": 201, "message": "Fetched posts",
			"results": map[string]any{"posts": out, "count": total}})
	})
	return mux
}

// BenchmarkHighLevelCSVImport measures, on PostgreSQL and SQLite, in the
// same run, POST /social-media-posting/{locationId}/csv with a 5,000-row
// file in HighLevel's template (multipart upload, parsing, header and row
// checks, the rows staged in one transaction) against encoding/csv parsing
// the same bytes alone: rows/s of each and their ratio, over three
// alternating rounds.
//
//	go test ./bench/ -run XXX -bench HighLevelCSVImport -benchtime 1x
func BenchmarkHighLevelCSVImport(b *testing.B) {
	const rows = 5000
	var file bytes.Buffer
	file.WriteString("postAtSpecificTime (yyyy-MM-dd HH:mm:ss),content,link (OGmetaUrl),imageUrls,gifUrl,videoUrls\n")
	start := time.Date(2030, 1, 1, 9, 0, 0, 0, time.UTC)
	for i := range rows {
		fmt.Fprintf(&file, "%s,Post number %d of the bulk upload #csv,,https://cdn.example.com/%d.jpg,,\n",
			start.Add(time.Duration(i)*time.Hour).Format("2006-01-02 15:04:05"), i, i)
	}
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	fw, _ := mw.CreateFormFile("file", "posts.csv")
	_, _ = fw.Write(file.Bytes())
	_ = mw.Close()
	for _, backend := range testkit.Backends() {
		b.Run(string(backend), func(b *testing.B) {
			st := testkit.Open(b, backend)
			srv := testkit.StartServer(b, st)
			u := srv.CreateUser(b, "bench", viewer.RoleMember, "bench")
			key := srv.APIKey(b, u, viewer.ScopeAPI)
			ws, err := st.Client.Workspace.Get(testkit.ViewerContext(b.Context(), u), u.WorkspaceID)
			if err != nil {
				b.Fatal(err)
			}
			url := srv.URL + "/social-media-posting/" + ws.UUID.String() + "/csv"
			upload := func() time.Duration {
				req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(form.Bytes()))
				req.Header.Set("Content-Type", mw.FormDataContentType())
				req.Header.Set("Authorization", "Bearer "+key)
				req.Header.Set("Version", "2021-07-28")
				t0 := time.Now()
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				var out struct {
					Results struct {
						RowsCount int `json:"rowsCount"`
					} `json:"results"`
				}
				err = json.NewDecoder(resp.Body).Decode(&out)
				resp.Body.Close()
				d := time.Since(t0)
				if err != nil || resp.StatusCode != http.StatusCreated || out.Results.RowsCount != rows {
					b.Fatalf("upload: %d, %d rows (%v)", resp.StatusCode, out.Results.RowsCount, err)
				}
				return d
			}
			parse := func() time.Duration {
				t0 := time.Now()
				recs, err := csv.NewReader(bytes.NewReader(file.Bytes())).ReadAll()
				d := time.Since(t0)
				if err != nil || len(recs) != rows+1 {
					b.Fatalf("parse: %d records (%v)", len(recs), err)
				}
				return d
			}
			var ours, floor time.Duration
			const rounds = 3
			for range rounds {
				ours += upload()
				floor += parse()
			}
			oursRate := float64(rows*rounds) / ours.Seconds()
			floorRate := float64(rows*rounds) / floor.Seconds()
			b.Logf("%s CSV upload of %d rows: ours %.0f rows/s (%.0f ms a file), encoding/csv alone %.0f rows/s (%.1f ms), ratio %.3f",
				backend, rows, oursRate, ours.Seconds()*1000/rounds, floorRate, floor.Seconds()*1000/rounds, oursRate/floorRate)
			b.ReportMetric(oursRate, "rows/s")
			b.ReportMetric(oursRate/floorRate, "csv-ratio")
		})
	}
}
