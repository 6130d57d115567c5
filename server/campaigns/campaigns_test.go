package campaigns_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/ent/account"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/ent/task"
	"github.com/switchboardhq/switchboard/server/campaigns"
	"github.com/switchboardhq/switchboard/server/customers"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/events"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/tasks"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

func TestMain(m *testing.M) { testkit.Main(m) }

type fixture struct {
	svc  *campaigns.Service
	cus  *customers.Service
	st   *store.Store
	ctx  context.Context
	ctxB context.Context
	in   campaigns.CreateInput
	bots []uuid.UUID
}

func newFixture(t *testing.T, st *store.Store, bots int, names ...string) *fixture {
	sys := privacy.DecisionContext(t.Context(), privacy.Allow)
	wa := st.Client.Workspace.Create().SetName("a").SaveX(sys)
	wb := st.Client.Workspace.Create().SetName("b").SaveX(sys)
	ctx := viewer.NewContext(t.Context(), &viewer.Viewer{UserID: 1, WorkspaceID: wa.ID})
	ts := tasks.NewService(st, events.NewLocalBus(events.NewHub(64)), tasks.Options{})
	f := &fixture{
		svc: campaigns.NewService(st.Client, st.Driver, ts, events.NewLocalBus(events.NewHub(64))),
		cus: customers.NewService(st.Client, st.Driver), st: st, ctx: ctx,
		ctxB: viewer.NewContext(t.Context(), &viewer.Viewer{UserID: 2, WorkspaceID: wb.ID}),
	}
	cat, err := f.svc.CreateCategory(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	g, _ := f.cus.CreateGroup(ctx, "g")
	if len(names) > 0 {
		if _, err := f.cus.Batch(ctx, customers.BatchInput{Type: customers.BatchCreate, Names: names, GroupIDs: []uuid.UUID{g.UUID}}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range bots {
		b := st.Client.Account.Create().SetPlatform(account.PlatformX).SetUsername("bot" + string(rune('a'+i))).
			SetStatus(account.StatusACTIVE).SaveX(ctx)
		f.bots = append(f.bots, b.UUID)
	}
	f.in = campaigns.CreateInput{Title: "t", CategoryID: cat.UUID, PostPerDay: 4, BotIDs: f.bots,
		CustomerGroupIDs: []uuid.UUID{g.UUID}, Type: campaigns.TypeUsers, TemplateContents: []string{"hi {a|b}", "yo"}}
	return f
}

func TestCreateValidatesAndLinks(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, 2)
		for i := range 2 {
			sc, err := f.svc.Create(f.ctx, f.in)
			if err != nil {
				t.Fatalf("create %d: %v", i, err)
			}
			if len(sc.Edges.Bots) != 2 || len(sc.Edges.CustomerGroups) != 1 || sc.Edges.Template == nil || sc.NextRunAt == nil {
				t.Fatalf("campaign %+v", sc)
			}
		}
		for field, in := range map[string]campaigns.CreateInput{"botIds": f.in, "customerGroupIds": f.in} {
			if field == "botIds" {
				in.BotIDs = nil
			} else {
				in.CustomerGroupIDs = nil
			}
			if _, err := f.svc.Create(f.ctx, in); !errors.Is(err, errs.ErrInvalid) || errs.Field(err) != field {
				t.Fatalf("create without %s: %v", field, err)
			}
		}
		if _, err := f.svc.Create(f.ctxB, f.in); !errors.Is(err, errs.ErrInvalid) || errs.Field(err) != "categoryId" {
			t.Fatalf("create in B with A's category: %v", err)
		}
		pg, err := f.svc.List(f.ctx, campaigns.ListOptions{Limit: 10})
		if err != nil || pg.Total != 2 || pg.Running != 2 {
			t.Fatalf("list: %+v %v", pg, err)
		}
		pg, err = f.svc.List(f.ctx, campaigns.ListOptions{Limit: 10, Type: campaigns.TypeKeywords})
		if err != nil || pg.Total != 0 {
			t.Fatalf("list KEYWORDS: %+v %v", pg, err)
		}
	})
}

func TestRunDueRoundRobinsBotsAndCustomersAndWaitsForTheNextSlot(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, 2, "ann", "ben", "cat")
		sc, err := f.svc.Create(f.ctx, f.in)
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if n, err := f.svc.Sweep(t.Context()); err != nil || n != 1 {
				t.Fatalf("sweep: %d %v, want 1 post", n, err)
			}
			// Not due again until its next slot.
			if n, err := f.svc.Sweep(t.Context()); err != nil || n != 0 {
				t.Fatalf("second sweep: %d %v, want none", n, err)
			}
			st.Client.Schedule.UpdateOneID(sc.ID).SetNextRunAt(time.Now().Add(-time.Second)).ExecX(f.ctx)
		}
		ts := st.Client.Task.Query().Where(task.KindEQ(task.KindX_POST)).Order(task.ByID()).WithAccount().AllX(f.ctx)
		if len(ts) != 3 {
			t.Fatalf("%d spams, want 3", len(ts))
		}
		var who []string
		for _, tk := range ts {
			who = append(who, tk.Edges.Account.Username+">"+tk.Payload["customerName"].(string))
		}
		if got := who[0] + " " + who[1] + " " + who[2]; got != "bota>ann botb>ben bota>cat" {
			t.Fatalf("posts went %s", got)
		}
		if _, err := f.svc.SetStatus(f.ctx, sc.ID, campaigns.StatusPaused); err != nil {
			t.Fatal(err)
		}
		st.Client.Schedule.UpdateOneID(sc.ID).SetNextRunAt(time.Now().Add(-time.Second)).ExecX(f.ctx)
		if n, _ := f.svc.Sweep(t.Context()); n != 0 {
			t.Fatalf("a paused campaign posted %d", n)
		}
	})
}

func TestNextSlotSpreadsPostsOverTheLocalDay(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no tz data")
	}
	for _, c := range []struct {
		at     string
		perDay int
		want   string
	}{
		{"2026-03-10T01:00:00-04:00", 4, "2026-03-10T06:00:00-04:00"},
		{"2026-03-10T06:00:00-04:00", 4, "2026-03-10T12:00:00-04:00"},
		{"2026-03-10T20:00:00-04:00", 4, "2026-03-11T00:00:00-04:00"},
		{"2026-03-10T00:10:00-04:00", 24, "2026-03-10T01:00:00-04:00"},
	} {
		at, _ := time.Parse(time.RFC3339, c.at)
		if got := campaigns.NextSlot(at, c.perDay, ny).Format(time.RFC3339); got != c.want {
			t.Errorf("next slot after %s at %d a day = %s, want %s", c.at, c.perDay, got, c.want)
		}
	}
}

func TestRunDueDrawsCustomersByIncludeAndExcludeTags(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, 1, "ann", "ben", "cat", "dan")
		tags := map[string]uuid.UUID{}
		for name, who := range map[string][]string{"x": {"ann", "cat"}, "y": {"ben", "cat"}, "z": nil} {
			tg, err := f.cus.CreateTag(f.ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			tags[name] = tg.UUID
			if len(who) > 0 {
				if _, err := f.cus.Batch(f.ctx, customers.BatchInput{Type: customers.BatchCreate, Names: who, TagIDs: []uuid.UUID{tg.UUID}}); err != nil {
					t.Fatal(err)
				}
			}
		}
		ws := viewer.FromContext(f.ctx).WorkspaceID
		for _, c := range []struct {
			name             string
			include, exclude []string
			want             string
		}{
			{"include only", []string{"x"}, nil, "ann cat ann"},
			{"exclude only", nil, []string{"x"}, "ben dan ben"},
			{"both", []string{"x"}, []string{"y"}, "ann ann ann"},
			{"include and exclude the same customers", []string{"x", "y"}, []string{"x"}, "ben ben ben"},
			{"a tag nobody has", []string{"z"}, nil, ""},
		} {
			t.Run(c.name, func(t *testing.T) {
				in := f.in
				for _, n := range c.include {
					in.IncludeCustomerTagIDs = append(in.IncludeCustomerTagIDs, tags[n])
				}
				for _, n := range c.exclude {
					in.ExcludeCustomerTagIDs = append(in.ExcludeCustomerTagIDs, tags[n])
				}
				sc, err := f.svc.Create(f.ctx, in)
				if err != nil {
					t.Fatal(err)
				}
				for range 3 {
					if _, err := f.svc.RunDue(t.Context(), sc.ID, ws); err != nil {
						t.Fatal(err)
					}
					st.Client.Schedule.UpdateOneID(sc.ID).SetNextRunAt(time.Now().Add(-time.Second)).ExecX(f.ctx)
				}
				ts := st.Client.Task.Query().Where(task.KindEQ(task.KindX_POST), task.ScheduleID(sc.ID)).Order(task.ByID()).AllX(f.ctx)
				var got []string
				for _, tk := range ts {
					got = append(got, tk.Payload["customerName"].(string))
				}
				if strings.Join(got, " ") != c.want {
					t.Fatalf("posts went to %q, want %q", strings.Join(got, " "), c.want)
				}
			})
		}
	})
}

func TestCreateRefusesAnotherWorkspacesTags(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, 1)
		tb, err := f.cus.CreateTag(f.ctxB, "b")
		if err != nil {
			t.Fatal(err)
		}
		for _, field := range []string{"includeCustomerTagIds", "excludeCustomerTagIds"} {
			in := f.in
			if field == "includeCustomerTagIds" {
				in.IncludeCustomerTagIDs = []uuid.UUID{tb.UUID}
			} else {
				in.ExcludeCustomerTagIDs = []uuid.UUID{tb.UUID}
			}
			if _, err := f.svc.Create(f.ctx, in); !errors.Is(err, errs.ErrInvalid) || errs.Field(err) != field {
				t.Fatalf("create with B's tag in %s: %v", field, err)
			}
		}
	})
}

func TestUpdateChangesACampaignUnderCreatesRules(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, 2)
		sc, err := f.svc.Create(f.ctx, f.in)
		if err != nil {
			t.Fatal(err)
		}
		tg, _ := f.cus.CreateTag(f.ctx, "x")
		tb, _ := f.cus.CreateTag(f.ctxB, "b")
		gb, _ := f.cus.CreateGroup(f.ctxB, "gb")
		title, ppd, zero := "  new  ", 24, 0
		got, err := f.svc.Update(f.ctx, campaigns.UpdateInput{ID: sc.ID, Title: &title, PostPerDay: &ppd, BotIDs: f.bots[:1],
			IncludeCustomerTagIDs: []uuid.UUID{tg.UUID}, TemplateContents: []string{"new {a|b}"}, Keywords: []string{" k ", "k"}})
		if err != nil {
			t.Fatal(err)
		}
		set, _ := campaigns.SettingsOf(got)
		if got.Name != "new" || got.IntervalSeconds != 3600 || set.PostPerDay != 24 || len(got.Edges.Bots) != 1 ||
			len(set.IncludeCustomerTagIDs) != 1 || set.IncludeCustomerTagIDs[0] != tg.UUID.String() ||
			strings.Join(set.Keywords, ",") != "k" || got.Edges.Template.Contents[0] != "new {a|b}" || len(got.Edges.CustomerGroups) != 1 {
			t.Fatalf("updated campaign %+v %+v", got, set)
		}
		for _, c := range []struct {
			name  string
			in    campaigns.UpdateInput
			field string
		}{
			{"postPerDay 0", campaigns.UpdateInput{PostPerDay: &zero}, "postPerDay"},
			{"no bots", campaigns.UpdateInput{BotIDs: []uuid.UUID{}}, "botIds"},
			{"B's group", campaigns.UpdateInput{CustomerGroupIDs: []uuid.UUID{gb.UUID}}, "customerGroupIds"},
			{"B's tag", campaigns.UpdateInput{ExcludeCustomerTagIDs: []uuid.UUID{tb.UUID}}, "excludeCustomerTagIds"},
			{"bad spintax", campaigns.UpdateInput{TemplateContents: []string{"{a|"}}, "templateContents"},
			{"empty keyword", campaigns.UpdateInput{Keywords: []string{"moon", "  "}}, "keywords"},
			{"long keyword", campaigns.UpdateInput{Keywords: []string{strings.Repeat("k", campaigns.MaxTitleLen+1)}}, "keywords"},
			{"too many keywords", campaigns.UpdateInput{Keywords: make([]string, campaigns.MaxKeywords+1)}, "keywords"},
			{"too many tags", campaigns.UpdateInput{IncludeCustomerTagIDs: make([]uuid.UUID, campaigns.MaxTags+1)}, "includeCustomerTagIds"},
		} {
			c.in.ID = sc.ID
			if _, err := f.svc.Update(f.ctx, c.in); !errors.Is(err, errs.ErrInvalid) || errs.Field(err) != c.field {
				t.Errorf("%s: %v, want invalid %s", c.name, err, c.field)
			}
		}
		if _, err := f.svc.Update(f.ctxB, campaigns.UpdateInput{ID: sc.ID, Title: &title}); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("B updates A's campaign: %v", err)
		}
		after, _ := f.svc.Get(f.ctx, sc.ID)
		if after.Name != "new" || after.IntervalSeconds != 3600 {
			t.Fatalf("a refused update wrote: %+v", after)
		}
	})
}

func TestStoppedIsFinal(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, 1)
		sc, err := f.svc.Create(f.ctx, f.in)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SetStatus(f.ctxB, sc.ID, campaigns.StatusStopped); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("B stops A's campaign: %v", err)
		}
		for _, c := range []struct {
			to      campaigns.Status
			refused bool
		}{
			{campaigns.StatusPaused, false}, {campaigns.StatusRunning, false}, {campaigns.StatusStopped, false},
			{campaigns.StatusRunning, true}, {campaigns.StatusPaused, true}, {campaigns.StatusStopped, false},
		} {
			got, err := f.svc.SetStatus(f.ctx, sc.ID, c.to)
			switch {
			case c.refused && (!errors.Is(err, errs.ErrInvalid) || errs.Field(err) != "status"):
				t.Fatalf("to %s: %v, want refused", c.to, err)
			case !c.refused && (err != nil || campaigns.StatusOf(got.Status) != c.to):
				t.Fatalf("to %s: %v %v", c.to, got, err)
			}
		}
	})
}
