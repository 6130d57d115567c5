package campaigns_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/campaigns"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/events"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/tasks"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

// metricsWorld is a workspace with one bot, and the task and campaign
// services on a fake clock.
type metricsWorld struct {
	clk *testkit.Clock
	ts  *tasks.Service
	svc *campaigns.Service
	ctx context.Context
	bot *ent.Account
	hub *events.Hub
	ws  int
}

func newMetricsWorld(t *testing.T, st *store.Store) *metricsWorld {
	sys := privacy.DecisionContext(t.Context(), privacy.Allow)
	ws := st.Client.Workspace.Create().SetName("a").SaveX(sys)
	w := &metricsWorld{clk: testkit.NewClock(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))}
	w.ctx = viewer.NewContext(t.Context(), &viewer.Viewer{UserID: 1, WorkspaceID: ws.ID, Scope: viewer.ScopeWorker})
	w.hub, w.ws = events.NewHub(64), ws.ID
	bus := events.NewLocalBus(w.hub)
	w.ts = tasks.NewService(st, bus, tasks.Options{Now: w.clk.Now})
	w.svc = campaigns.NewService(st.Client, st.Driver, w.ts, bus, campaigns.WithClock(w.clk.Now))
	w.bot = st.Client.Account.Create().SetPlatform(account.PlatformX).SetUsername("bota").
		SetStatus(account.StatusACTIVE).SaveX(w.ctx)
	return w
}

// claim claims the one waiting task of kind, as a worker would.
func (w *metricsWorld) claim(t *testing.T, kind task.Kind) tasks.Lease {
	t.Helper()
	ls, err := w.ts.Claim(w.ctx, "w", []task.Kind{kind}, 1)
	if err != nil || len(ls) != 1 {
		t.Fatalf("claim %s: %d leases, %v", kind, len(ls), err)
	}
	return ls[0]
}

// complete reports l's task done with result; the refusal is the error.
func (w *metricsWorld) complete(l tasks.Lease, result map[string]any) (*ent.Task, error) {
	return w.ts.Complete(w.ctx, tasks.TaskID(l.Task.ID), tasks.ByToken(l.Token), result)
}

// post is a spam the bot posted now, with first counters of views views.
func (w *metricsWorld) post(t *testing.T, views int) *ent.Task {
	t.Helper()
	bot := w.bot.ID
	if _, err := w.ts.Enqueue(w.ctx, tasks.EnqueueInput{Kind: task.KindX_POST, AccountID: &bot,
		Payload: map[string]any{"content": "gm", "images": []string{}, "customerId": "", "customerName": "ann"}}); err != nil {
		t.Fatal(err)
	}
	done, err := w.complete(w.claim(t, task.KindX_POST), map[string]any{"tweetId": "1", "postTweetId": "2", "tweetUrl": "https://x.com/bota/status/2",
		"metrics": map[string]any{"views": views, "likes": 1, "replies": 0, "retweets": 0}})
	if err != nil {
		t.Fatal(err)
	}
	return done
}

func (w *metricsWorld) enqueue(t *testing.T, want int) {
	t.Helper()
	if n, err := w.svc.EnqueueMetrics(t.Context(), time.Hour); err != nil || n != want {
		t.Fatalf("EnqueueMetrics at %s = %d, %v; want %d", w.clk.Now().Format(time.RFC3339), n, err, want)
	}
}

func TestSpamMetricsAreReadAgainAnIntervalAfterPostingForAWeek(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		w := newMetricsWorld(t, st)
		old := w.post(t, 10)
		// Read again an interval after posting (a worker that read nothing
		// changes nothing).
		w.clk.Advance(time.Hour)
		w.enqueue(t, 1)
		if _, err := w.complete(w.claim(t, task.KindX_METRICS), map[string]any{"spams": []any{}}); err != nil {
			t.Fatal(err)
		}
		w.clk.Advance(campaigns.MetricsFor - time.Hour)
		fresh := w.post(t, 20)
		// The fresh spam's own report is its first reading; the old one was
		// read for its week.
		w.clk.Advance(30 * time.Minute)
		w.enqueue(t, 0)
		// An interval after it was posted, the fresh spam is read again.
		w.clk.Advance(30 * time.Minute)
		w.enqueue(t, 1)
		// Never a second task while one waits, however many intervals pass.
		w.enqueue(t, 0)
		w.clk.Advance(3 * time.Hour)
		w.enqueue(t, 0)
		mt := st.Client.Task.Query().Where(task.KindEQ(task.KindX_METRICS), task.StatusEQ(task.StatusPENDING)).OnlyX(w.ctx)
		p, err := tasks.Decode[campaigns.MetricsPayload](mt.Payload)
		if err != nil || p.BotID != w.bot.UUID.String() || p.Username != "bota" || len(p.Spams) != 1 ||
			p.Spams[0].SpamID != fresh.UUID.String() || p.Spams[0].TweetURL != "https://x.com/bota/status/2" {
			t.Fatalf("x_metrics payload %+v %v", p, err)
		}

		// A result of the wrong shape is refused, naming the field, and
		// the lease stays held.
		l := w.claim(t, task.KindX_METRICS)
		for _, c := range []struct {
			result map[string]any
			field  string
		}{
			{map[string]any{"spams": "all"}, "result.spams"},
			{map[string]any{"spams": []any{map[string]any{"spamId": "nope", "views": 1}}}, "result.spams.0.spamId"},
			{map[string]any{"spams": []any{map[string]any{"spamId": fresh.UUID.String(), "views": -1}}}, "result.spams.0.views"},
			{map[string]any{"spams": []any{map[string]any{"spamId": fresh.UUID.String(), "likes": "many"}}}, "result.spams.likes"},
		} {
			if _, err := w.complete(l, c.result); !errors.Is(err, errs.ErrInvalid) || errs.Field(err) != c.field {
				t.Errorf("result %v: %v (field %q), want invalid %s", c.result, err, errs.Field(err), c.field)
			}
		}

		// The reading replaces the fresh spam's counters; a spam the task
		// did not ask about keeps its own.
		sub := w.hub.Subscribe(events.TopicTask, w.ws)
		defer sub.Close()
		if _, err := w.complete(l, map[string]any{"spams": []any{
			map[string]any{"spamId": fresh.UUID.String(), "views": 500, "likes": 40, "replies": 3, "retweets": 2},
			map[string]any{"spamId": old.UUID.String(), "views": 9000},
		}}); err != nil {
			t.Fatal(err)
		}
		page, err := w.svc.Spams(w.ctx, campaigns.SpamFilter{Limit: 10})
		if err != nil || page.Total != 2 || page.Stat != (campaigns.Stat{Views: 510, Likes: 41, Replies: 3, Reposts: 2}) {
			t.Fatalf("spams after the reading: %+v %v", page.Stat, err)
		}
		if r := page.Items[0].Result; r.TweetURL != "https://x.com/bota/status/2" || r.Metrics == nil || r.Metrics.Views != 500 {
			t.Fatalf("fresh spam result %+v", r)
		}
		// Live views hear of the fresh spam's change, as of the x_metrics
		// task's own.
		heard := map[int]bool{}
		for len(sub.C()) > 0 {
			ev := <-sub.C()
			heard[ev.ID] = ev.Op == events.OpUpdated
		}
		if !heard[fresh.ID] || !heard[l.Task.ID] {
			t.Fatalf("task events %v, want updates of spam %d and task %d", heard, fresh.ID, l.Task.ID)
		}
		// With the reading done, the next interval asks again.
		w.enqueue(t, 1)
	})
}
