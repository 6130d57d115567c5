package bench_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/server/queues"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

const (
	queueItems  = 1000
	queueRounds = 30 // requests (or saves) measured per side
)

// BenchmarkQueues measures, on PostgreSQL and SQLite, in the same run:
//   - POST /social-media-posting/category/queues/{id}/slots with limit 200
//     on a 1,000-item queue with 28 weekly slots, against computing the
//     same 200 slots in memory (queues.Schedule on items already read);
//   - POST …/edit/save of a 1,000-item session, against a bare
//     transaction rewriting the same rows (delete the live items, move the
//     drafts live, close the session).
//
// Medians of queueRounds each.
//
//	go test ./bench/ -run XXX -bench Queues -benchtime 1x
func BenchmarkQueues(b *testing.B) {
	for _, backend := range testkit.Backends() {
		b.Run(string(backend), func(b *testing.B) {
			st := testkit.Open(b, backend)
			srv := testkit.StartServer(b, st)
			u := srv.CreateUser(b, "qbench", viewer.RoleMember, "qbench")
			key := srv.APIKey(b, u, viewer.ScopeAPI)
			ctx := testkit.ViewerContext(b.Context(), u)
			ws, err := st.Client.Workspace.Get(ctx, u.WorkspaceID)
			if err != nil {
				b.Fatal(err)
			}
			loc := ws.UUID.String()
			q := seedQueue(b, srv.App.Queues, st, ctx, u)
			call := func(path, body string, want int) {
				req, _ := http.NewRequestWithContext(b.Context(), http.MethodPost, srv.URL+"/social-media-posting/category/queues/"+q.ObjectID+path,
					strings.NewReader(`{"locationId":"`+loc+`"`+body+`}`))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+key)
				req.Header.Set("Version", "2021-07-28")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				raw, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != want {
					b.Fatalf("%s: %d %s", path, resp.StatusCode, raw)
				}
				if path == "/slots" && strings.Count(string(raw), `"scheduledDateTime"`) != 200 {
					b.Fatalf("slots: not 200 slots: %.300s", raw)
				}
			}

			// Slots: the route against the same computation in memory.
			items, err := st.Client.QueueItem.Query().All(ctx)
			if err != nil {
				b.Fatal(err)
			}
			berlin, _ := time.LoadLocation("Europe/Berlin")
			var route, memory []time.Duration
			for range queueRounds {
				route = append(route, timed(func() { call("/slots", `,"limit":200`, http.StatusCreated) }))
				memory = append(memory, timed(func() {
					if got := queues.Schedule(weekSlots(), berlin, q.SkipDateTimes, time.Now(), len(items), 0, 200); len(got) != 200 {
						b.Fatalf("in memory: %d slots", len(got))
					}
				}))
			}
			r, m := median(route), median(memory)
			b.ReportMetric(float64(r.Microseconds()), "slots-route-µs")
			b.ReportMetric(float64(m.Microseconds()), "slots-memory-µs")
			b.Logf("%s slots (1,000 items, 28 weekly slots, 200 ahead): route %v, in memory %v (%.0fx)", backend, r, m, float64(r)/float64(max(m, 1)))

			// Save: the route against a bare transaction.
			var save, bare []time.Duration
			for range queueRounds {
				s, _, err := srv.App.Queues.StartEdit(ctx, q.ObjectID)
				if err != nil {
					b.Fatal(err)
				}
				save = append(save, timed(func() { call("/edit/save", `,"keepInDraft":true,"sessionId":"`+s+`"`, http.StatusOK) }))
				if s, _, err = srv.App.Queues.StartEdit(ctx, q.ObjectID); err != nil {
					b.Fatal(err)
				}
				bare = append(bare, timed(func() { bareSave(b, st, q.ID, s) }))
			}
			sv, bt := median(save), median(bare)
			b.ReportMetric(float64(sv.Microseconds()), "save-route-µs")
			b.ReportMetric(float64(bt.Microseconds()), "save-bare-µs")
			b.Logf("%s edit/save (1,000 items): route %v, bare transaction %v (%.2fx)", backend, sv, bt, float64(sv)/float64(max(bt, 1)))
			if n := st.Client.QueueItem.Query().CountX(ctx); n != queueItems {
				b.Fatalf("%d items after the saves, want %d", n, queueItems)
			}
		})
	}
}

// weekSlots is 28 weekly slots: four a day.
func weekSlots() []queues.TimeSlot {
	var out []queues.TimeSlot
	for d := range 7 {
		for _, hm := range []string{"08:00", "12:00", "16:00", "20:00"} {
			out = append(out, queues.TimeSlot{DayOfWeek: d, Time: hm})
		}
	}
	return out
}

// seedQueue makes an active Europe/Berlin queue with 28 weekly slots and
// 1,000 items.
func seedQueue(b testing.TB, qs *queues.Service, st *store.Store, ctx context.Context, u *ent.User) *queues.Queue {
	b.Helper()
	cat := st.Client.Category.Create().SetName("Evergreen").SaveX(ctx)
	zone := "Europe/Berlin"
	q, err := qs.Create(ctx, queues.CreateInput{CategoryID: cat.ObjectID, UserID: u.ObjectID, TimeSlots: weekSlots(), Timezone: &zone})
	if err != nil {
		b.Fatal(err)
	}
	for lo := 0; lo < queueItems; lo += 250 {
		bulk := make([]*ent.QueueItemCreate, 250)
		for i := range bulk {
			n := lo + i
			bulk[i] = st.Client.QueueItem.Create().SetQueueID(q.ID).SetPosition(int64(n+1) * 1024).
				SetModified([]byte(fmt.Sprintf(`{"summary":"evergreen post %d","accountIds":[]}`, n)))
		}
		if err := st.Client.QueueItem.CreateBulk(bulk...).Exec(ctx); err != nil {
			b.Fatal(err)
		}
	}
	return q
}

// bareSave is edit/save's writes and nothing else, in one transaction.
func bareSave(b testing.TB, st *store.Store, queue int, session string) {
	b.Helper()
	ph := st.Driver.Placeholder
	tx, err := st.DB.BeginTx(b.Context(), nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, s := range []struct {
		sql  string
		args []any
	}{
		{"DELETE FROM queue_items WHERE queue_id = " + ph(1) + " AND session = ''", []any{queue}},
		{"UPDATE queue_items SET session = '' WHERE queue_id = " + ph(1) + " AND session = " + ph(2), []any{queue, session}},
		{"UPDATE category_queues SET session_id = '' WHERE id = " + ph(1), []any{queue}},
	} {
		if _, err := tx.ExecContext(b.Context(), s.sql, s.args...); err != nil {
			_ = tx.Rollback()
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}

func timed(fn func()) time.Duration {
	start := time.Now()
	fn()
	return time.Since(start)
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
