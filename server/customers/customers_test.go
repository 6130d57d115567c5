package customers_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/ent/customer"
	"github.com/switchboardhq/switchboard/ent/privacy"
	"github.com/switchboardhq/switchboard/server/customers"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
	"github.com/switchboardhq/switchboard/server/viewer"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// fixture is two workspaces and the service.
type fixture struct {
	st         *store.Store
	svc        *customers.Service
	ctxA, ctxB context.Context
}

func newFixture(t *testing.T, st *store.Store) *fixture {
	sys := privacy.DecisionContext(t.Context(), privacy.Allow)
	wa := st.Client.Workspace.Create().SetName("a").SaveX(sys)
	wb := st.Client.Workspace.Create().SetName("b").SaveX(sys)
	return &fixture{
		st:   st,
		svc:  customers.NewService(st.Client, st.Driver),
		ctxA: viewer.NewContext(t.Context(), &viewer.Viewer{UserID: 1, WorkspaceID: wa.ID}),
		ctxB: viewer.NewContext(t.Context(), &viewer.Viewer{UserID: 2, WorkspaceID: wb.ID}),
	}
}

// names returns the usernames of ctx's workspace, sorted case-insensitively.
func (f *fixture) names(t *testing.T, ctx context.Context) []string {
	t.Helper()
	cs, err := f.st.Client.Customer.Query().Order(customer.ByUsernameKey()).All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Username
	}
	return out
}

func TestBatchCreateUpsertsNamesCaseInsensitivelyAndAttachesTagsAndGroups(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st)
		g, err := f.svc.CreateGroup(f.ctxA, "  vip ")
		if err != nil || g.Name != "vip" {
			t.Fatalf("create group: %v %v", g, err)
		}
		tag, err := f.svc.CreateTag(f.ctxA, "crypto")
		if err != nil {
			t.Fatal(err)
		}
		res, err := f.svc.Batch(f.ctxA, customers.BatchInput{Type: customers.BatchCreate,
			Names: []string{"Alice", "@bob", "ALICE", "carol"}, GroupIDs: []uuid.UUID{g.UUID}})
		if err != nil {
			t.Fatal(err)
		}
		if res.Created != 3 || res.Selected != 3 {
			t.Fatalf("first batch = %+v, want 3 created, 3 selected", res)
		}
		// A second import of known names in another case adds only the new
		// one, keeps the first spelling, and links again without repeats.
		res, err = f.svc.Batch(f.ctxA, customers.BatchInput{Type: customers.BatchCreate,
			Names: []string{"alice", "Dave"}, GroupIDs: []uuid.UUID{g.UUID}, TagIDs: []uuid.UUID{tag.UUID}})
		if err != nil {
			t.Fatal(err)
		}
		if res.Created != 1 || res.Selected != 2 {
			t.Fatalf("second batch = %+v, want 1 created, 2 selected", res)
		}
		if got, want := fmt.Sprint(f.names(t, f.ctxA)), "[Alice bob carol Dave]"; got != want {
			t.Fatalf("customers = %s, want %s", got, want)
		}
		members := g.QueryCustomers().CountX(f.ctxA)
		if members != 4 {
			t.Fatalf("group has %d members, want 4", members)
		}
		tagged := tag.QueryCustomers().Order(customer.ByUsernameKey()).AllX(f.ctxA)
		if len(tagged) != 2 || tagged[0].Username != "Alice" || tagged[1].Username != "Dave" {
			t.Fatalf("tagged = %v, want Alice and Dave", tagged)
		}
		// B's workspace holds the same name independently.
		if _, err := f.svc.Batch(f.ctxB, customers.BatchInput{Type: customers.BatchCreate, Names: []string{"alice"}}); err != nil {
			t.Fatal(err)
		}
		if got := f.names(t, f.ctxB); len(got) != 1 || got[0] != "alice" {
			t.Fatalf("B's customers = %v", got)
		}
	})
}

func TestBatchOfAThousandNames(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st)
		g, _ := f.svc.CreateGroup(f.ctxA, "all")
		names := make([]string, customers.MaxBatchNames)
		for i := range names {
			names[i] = fmt.Sprintf("user_%04d", i)
		}
		res, err := f.svc.Batch(f.ctxA, customers.BatchInput{Type: customers.BatchCreate, Names: names, GroupIDs: []uuid.UUID{g.UUID}})
		if err != nil {
			t.Fatal(err)
		}
		if res.Created != 1000 || g.QueryCustomers().CountX(f.ctxA) != 1000 {
			t.Fatalf("batch of 1000 = %+v, members %d", res, g.QueryCustomers().CountX(f.ctxA))
		}
	})
}

func TestBatchRefusesBadInputAndWritesNothing(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st)
		groupB, _ := f.svc.CreateGroup(f.ctxB, "b's")
		many := func(n int) []uuid.UUID {
			out := make([]uuid.UUID, n)
			for i := range out {
				out[i] = uuid.New()
			}
			return out
		}
		tooMany := make([]string, customers.MaxBatchNames+1)
		for i := range tooMany {
			tooMany[i] = fmt.Sprint("u", i)
		}
		for _, c := range []struct {
			name  string
			in    customers.BatchInput
			field string
		}{
			{"no type", customers.BatchInput{Names: []string{"a"}}, "type"},
			{"unknown type", customers.BatchInput{Type: "DELETE", Names: []string{"a"}}, "type"},
			{"over 1000 names", customers.BatchInput{Type: customers.BatchCreate, Names: tooMany}, "names"},
			{"over 100 tags", customers.BatchInput{Type: customers.BatchCreate, Names: []string{"a"}, TagIDs: many(101)}, "tagIds"},
			{"over 100 groups", customers.BatchInput{Type: customers.BatchCreate, Names: []string{"a"}, GroupIDs: many(101)}, "groupIds"},
			{"not a username", customers.BatchInput{Type: customers.BatchCreate, Names: []string{"ok", "not ok"}}, "names"},
			{"no names", customers.BatchInput{Type: customers.BatchCreate}, "names"},
			{"another workspace's group", customers.BatchInput{Type: customers.BatchCreate, Names: []string{"a"}, GroupIDs: []uuid.UUID{groupB.UUID}}, "groupIds"},
			{"update selecting nothing", customers.BatchInput{Type: customers.BatchUpdate, GroupIDs: []uuid.UUID{}}, "ids"},
		} {
			t.Run(c.name, func(t *testing.T) {
				_, err := f.svc.Batch(f.ctxA, c.in)
				if !errors.Is(err, errs.ErrInvalid) || errs.Field(err) != c.field {
					t.Fatalf("err = %v (field %q), want invalid %s", err, errs.Field(err), c.field)
				}
				if n := st.Client.Customer.Query().CountX(f.ctxA); n != 0 {
					t.Fatalf("%d customers written by a refused batch", n)
				}
			})
		}
	})
}

func TestBatchUpdateAttachesToSelectedCustomers(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st)
		vip, _ := f.svc.CreateGroup(f.ctxA, "vip")
		tag, _ := f.svc.CreateTag(f.ctxA, "hot")
		if _, err := f.svc.Batch(f.ctxA, customers.BatchInput{Type: customers.BatchCreate,
			Names: []string{"anna", "annabel", "zed"}, GroupIDs: []uuid.UUID{vip.UUID}}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Batch(f.ctxB, customers.BatchInput{Type: customers.BatchCreate, Names: []string{"anna_b"}}); err != nil {
			t.Fatal(err)
		}
		// By filter: members of vip whose name contains "ANNA".
		res, err := f.svc.Batch(f.ctxA, customers.BatchInput{Type: customers.BatchUpdate, TagIDs: []uuid.UUID{tag.UUID},
			Filter: &customers.Filter{Search: "ANNA", GroupIDs: []uuid.UUID{vip.UUID}}})
		if err != nil || res.Selected != 2 {
			t.Fatalf("update by filter: %+v %v, want 2 selected", res, err)
		}
		// By id: zed, and an id of B's, which selects nothing.
		zed := st.Client.Customer.Query().Where(customer.Username("zed")).OnlyX(f.ctxA)
		annaB := st.Client.Customer.Query().OnlyX(f.ctxB)
		res, err = f.svc.Batch(f.ctxA, customers.BatchInput{Type: customers.BatchUpdate, TagIDs: []uuid.UUID{tag.UUID},
			IDs: []uuid.UUID{zed.UUID, annaB.UUID}})
		if err != nil || res.Selected != 1 {
			t.Fatalf("update by ids: %+v %v, want 1 selected", res, err)
		}
		got := tag.QueryCustomers().Order(customer.ByUsernameKey()).AllX(f.ctxA)
		var names []string
		for _, c := range got {
			names = append(names, c.Username)
		}
		if strings.Join(names, ",") != "anna,annabel,zed" {
			t.Fatalf("tagged = %v", names)
		}
		if n := annaB.QueryTags().CountX(f.ctxB); n != 0 {
			t.Fatalf("B's customer got %d of A's tags", n)
		}
	})
}

func TestListGroupsAndTagsByCreationRange(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st)
		before := time.Now().Add(-time.Minute)
		for _, n := range []string{"one", "two", "three"} {
			if _, err := f.svc.CreateGroup(f.ctxA, n); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := f.svc.CreateGroup(f.ctxB, "b"); err != nil {
			t.Fatal(err)
		}
		after := time.Now().Add(time.Minute)
		gs, total, err := f.svc.ListGroups(f.ctxA, customers.ListOptions{Start: before, End: after, Limit: 2})
		if err != nil || total != 3 || len(gs) != 2 || gs[0].Name != "three" {
			t.Fatalf("groups = %v total %d err %v, want the newest 2 of 3", gs, total, err)
		}
		_, total, _ = f.svc.ListGroups(f.ctxA, customers.ListOptions{Start: after, End: after.Add(time.Hour), Limit: 10})
		if total != 0 {
			t.Fatalf("groups after now = %d, want 0", total)
		}
		ts, total, err := f.svc.ListTags(f.ctxA, customers.ListOptions{Start: before, End: after, Limit: 10})
		if err != nil || total != 0 || len(ts) != 0 {
			t.Fatalf("tags = %v %d %v, want none", ts, total, err)
		}
		if _, _, err := f.svc.ListTags(f.ctxA, customers.ListOptions{Start: after, End: before, Limit: 10}); !errors.Is(err, errs.ErrInvalid) {
			t.Fatalf("start after end: %v", err)
		}
		if _, err := f.svc.CreateGroup(f.ctxA, "  "); errs.Field(err) != "name" {
			t.Fatalf("blank group name: %v", err)
		}
	})
}
