package statistics_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/accounts"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/events"
	"github.com/switchboardhq/switchboard/server/statistics"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/tasks"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

type metricsBundle struct {
	svc               *statistics.Service
	ts                *tasks.Service
	ctx, ctxB, worker context.Context
	page, li, tt      *ent.Account
	now               time.Time
}

func metricsSetup(t *testing.T, st *store.Store) *metricsBundle {
	t.Helper()
	sys := privacy.DecisionContext(t.Context(), privacy.Allow)
	wa := st.Client.Workspace.Create().SetName("a").SaveX(sys)
	wb := st.Client.Workspace.Create().SetName("b").SaveX(sys)
	b := &metricsBundle{
		ctx:    viewer.NewContext(t.Context(), &viewer.Viewer{UserID: 1, WorkspaceID: wa.ID}),
		ctxB:   viewer.NewContext(t.Context(), &viewer.Viewer{UserID: 2, WorkspaceID: wb.ID}),
		worker: viewer.NewContext(t.Context(), &viewer.Viewer{UserID: 1, WorkspaceID: wa.ID, Scope: viewer.ScopeWorker, APIKeyID: 7}),
		now:    time.Date(2026, 12, 15, 9, 30, 0, 0, time.UTC),
	}
	b.ts = tasks.NewService(st, events.NewLocalBus(events.NewHub(64)), tasks.Options{})
	b.svc = statistics.NewService(st.Client, b.ts)
	mk := func(p account.Platform, origin, typ string) *ent.Account {
		return st.Client.Account.Create().SetPlatform(p).SetUsername(origin).
			SetExternalIds(map[string]string{accounts.ExternalOriginID: origin, accounts.ExternalAccountType: typ}).SaveX(b.ctx)
	}
	b.page, b.li, b.tt = mk(account.PlatformFacebook, "fb1", "page"), mk(account.PlatformLinkedin, "li1", "profile"), mk(account.PlatformTiktok, "tt1", "business")
	return b
}

// report has a worker complete the waiting ACCOUNT_METRICS tasks with
// days(account) as their days.
func (b *metricsBundle) report(t *testing.T, days func(*ent.Task) []any) int {
	t.Helper()
	ls, err := b.ts.Claim(b.worker, "w", []task.Kind{task.KindACCOUNT_METRICS}, tasks.MaxClaim)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		if _, err := b.ts.Complete(b.worker, tasks.TaskID(l.Task.ID), tasks.ByToken(l.Token), map[string]any{"days": days(l.Task)}); err != nil {
			t.Fatal(err)
		}
	}
	return len(ls)
}

func day(d, followers, impressions, likes int) map[string]any {
	return map[string]any{"date": fmt.Sprintf("2026-12-%02d", d), "followers": followers, "impressions": impressions, "likes": likes}
}

func TestCompareDefaultsToTheLastSevenDaysAgainstTheSevenBefore(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := metricsSetup(t, st)
		in := statistics.CompareInput{ProfileIDs: []string{"fb1", "li1", "tt1"}}
		got, err := b.svc.Compare(b.ctx, in, b.now)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Current.Start.Equal(time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC)) || !got.Current.End.Equal(time.Date(2026, 12, 14, 0, 0, 0, 0, time.UTC)) ||
			got.Previous == nil || !got.Previous.Start.Equal(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)) || !got.Previous.End.Equal(time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)) {
			t.Fatalf("ranges %+v %+v", got.Current, got.Previous)
		}
		// A LinkedIn profile has no analytics; the page and the TikTok
		// business account do, and each is asked for its figures once.
		if len(got.Accounts) != 2 || got.Totals.Impressions != nil || len(got.Series) != 7 {
			t.Fatalf("before any report %+v", got)
		}
		if _, err := b.svc.Compare(b.ctx, in, b.now); err != nil {
			t.Fatal(err)
		}
		n := b.report(t, func(tk *ent.Task) []any {
			if tk.Payload["from"] != "2026-12-01" || tk.Payload["to"] != "2026-12-14" {
				t.Errorf("payload %v", tk.Payload)
			}
			if *tk.AccountID != b.page.ID {
				return []any{day(9, 50, 5, 1)}
			}
			return []any{day(2, 90, 10, 1), day(6, 100, 20, 2), day(8, 110, 30, 3), day(9, 115, 40, 4), day(15, 999, 999, 999)}
		})
		if n != 2 {
			t.Fatalf("%d metrics tasks, want 2", n)
		}
		got, err = b.svc.Compare(b.ctx, in, b.now)
		if err != nil {
			t.Fatal(err)
		}
		// Followers: last known per account, summed; flows summed.
		if *got.Totals.Followers != 165 || *got.Totals.Impressions != 75 || *got.Totals.Likes != 8 ||
			*got.PreviousTotals.Followers != 100 || *got.PreviousTotals.Impressions != 30 || got.Totals.Reach != nil {
			t.Fatalf("totals %+v previous %+v", got.Totals, got.PreviousTotals)
		}
		if s := got.Series[1]; !s.Day.Equal(time.Date(2026, 12, 9, 0, 0, 0, 0, time.UTC)) || *s.Impressions != 45 {
			t.Fatalf("series %+v", got.Series)
		}
		// A current range without a previous one compares with nothing;
		// platforms narrow the accounts.
		r := statistics.Range{Start: time.Date(2026, 12, 9, 15, 0, 0, 0, time.UTC), End: time.Date(2026, 12, 9, 0, 0, 0, 0, time.UTC)}
		got, err = b.svc.Compare(b.ctx, statistics.CompareInput{ProfileIDs: []string{"fb1", "tt1"}, Platforms: []string{"tiktok"}, Current: &r}, b.now)
		if err != nil || got.Previous != nil || len(got.Accounts) != 1 || *got.Totals.Impressions != 5 {
			t.Fatalf("one day of tiktok: %v %+v", err, got)
		}
		// Another workspace's profiles are not found: no figures.
		got, err = b.svc.Compare(b.ctxB, in, b.now)
		if err != nil || len(got.Accounts) != 0 || got.Totals.Followers != nil {
			t.Fatalf("B's comparison: %v %+v", err, got)
		}
	})
}

func TestCompareRefusesItsFiveBadInputs(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := metricsSetup(t, st)
		many := make([]string, 101)
		for i := range many {
			many[i] = fmt.Sprint(i)
		}
		d := func(day int) time.Time { return time.Date(2026, 12, day, 0, 0, 0, 0, time.UTC) }
		for _, c := range []struct {
			name  string
			in    statistics.CompareInput
			field string
		}{
			{"more than 100 profiles", statistics.CompareInput{ProfileIDs: many}, "profileIds"},
			{"no profiles", statistics.CompareInput{}, "profileIds"},
			{"start after end", statistics.CompareInput{ProfileIDs: []string{"fb1"}, Current: &statistics.Range{Start: d(3), End: d(2)}}, "currentRange"},
			{"previous start after end", statistics.CompareInput{ProfileIDs: []string{"fb1"}, Current: &statistics.Range{Start: d(3), End: d(4)},
				Previous: &statistics.Range{Start: d(2), End: d(1)}}, "prevRange"},
			{"previous without current", statistics.CompareInput{ProfileIDs: []string{"fb1"}, Previous: &statistics.Range{Start: d(1), End: d(2)}}, "prevRange"},
			{"unknown platform", statistics.CompareInput{ProfileIDs: []string{"fb1"}, Platforms: []string{"myspace"}}, "platforms"},
		} {
			if _, err := b.svc.Compare(b.ctx, c.in, b.now); !errors.Is(err, errs.ErrInvalid) || errs.Field(err) != c.field {
				t.Errorf("%s: %v, want invalid %s", c.name, err, c.field)
			}
		}
		if n := st.Client.Task.Query().CountX(b.ctx); n != 0 {
			t.Fatalf("refused comparisons enqueued %d tasks", n)
		}
	})
}

func TestMetricsReportsAreCheckedAndKeepWhatALaterReportLeavesOut(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := metricsSetup(t, st)
		if _, err := b.svc.Compare(b.ctx, statistics.CompareInput{ProfileIDs: []string{"fb1"}}, b.now); err != nil {
			t.Fatal(err)
		}
		ls, _ := b.ts.Claim(b.worker, "w", []task.Kind{task.KindACCOUNT_METRICS}, 1)
		for _, bad := range []struct {
			days  []any
			field string
		}{
			{[]any{map[string]any{"date": "12/09/2026"}}, "result.days.0.date"},
			{[]any{map[string]any{"date": "2026-12-09", "likes": -1}}, "result.days.0.likes"},
		} {
			if _, err := b.ts.Complete(b.worker, tasks.TaskID(ls[0].Task.ID), tasks.ByToken(ls[0].Token), map[string]any{"days": bad.days}); !errors.Is(err, errs.ErrInvalid) || errs.Field(err) != bad.field {
				t.Fatalf("%v: %v, want invalid %s", bad.days, err, bad.field)
			}
		}
		if _, err := b.ts.Complete(b.worker, tasks.TaskID(ls[0].Task.ID), tasks.ByToken(ls[0].Token), map[string]any{"days": []any{day(9, 50, 5, 1)}}); err != nil {
			t.Fatal(err)
		}
		// Just reported: a comparison made now asks no more, though days
		// are missing.
		if _, err := b.svc.Compare(b.ctx, statistics.CompareInput{ProfileIDs: []string{"fb1"}}, time.Now()); err != nil {
			t.Fatal(err)
		}
		if n := b.report(t, func(*ent.Task) []any { return nil }); n != 0 {
			t.Fatalf("%d metrics tasks within the hour after a report", n)
		}
		// A later report of the day without followers keeps them.
		if _, err := b.svc.Compare(b.ctx, statistics.CompareInput{ProfileIDs: []string{"fb1"}}, b.now); err != nil {
			t.Fatal(err)
		}
		b.report(t, func(*ent.Task) []any { return []any{map[string]any{"date": "2026-12-09", "reach": 7}} })
		got, _ := b.svc.Compare(b.ctx, statistics.CompareInput{ProfileIDs: []string{b.page.ObjectID}}, b.now)
		if *got.Totals.Followers != 50 || *got.Totals.Reach != 7 || *got.Totals.Impressions != 5 {
			t.Fatalf("merged day %+v", got.Totals)
		}
	})
}

func TestConcurrentComparisonsAskForOneMetricsTaskPerAccount(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		b := metricsSetup(t, st)
		in := statistics.CompareInput{ProfileIDs: []string{"fb1", "li1", "tt1"}}
		now := time.Now() // tasks finish at the real time
		compare := func(callers int, at time.Time) {
			t.Helper()
			testkit.Concurrently(t, callers, func(int) error {
				_, err := b.svc.Compare(b.ctx, in, at)
				return err
			})
		}
		waiting := func() int {
			return st.Client.Task.Query().Where(task.KindEQ(task.KindACCOUNT_METRICS), task.StatusEQ(task.StatusPENDING)).CountX(b.ctx)
		}
		compare(8, now)
		if n := waiting(); n != 2 {
			t.Fatalf("%d metrics tasks waiting, want one for the page and one for the TikTok account", n)
		}
		if n := b.report(t, func(*ent.Task) []any { return []any{day(9, 50, 5, 1)} }); n != 2 {
			t.Fatalf("%d metrics tasks reported, want 2", n)
		}
		// Fetched a moment ago: not asked again within the hour.
		compare(4, now)
		if n := waiting(); n != 0 {
			t.Fatalf("%d metrics tasks waiting right after a report, want 0", n)
		}
		compare(4, now.Add(statistics.MetricsRefresh+time.Minute))
		if n := waiting(); n != 2 {
			t.Fatalf("%d metrics tasks waiting an hour after a report, want 2", n)
		}
	})
}
