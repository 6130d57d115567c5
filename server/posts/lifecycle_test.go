package posts_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent/post"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/posts"
	"github.com/switchboardhq/switchboard/server/store"
	"github.com/switchboardhq/switchboard/server/testkit"
)

// lifecycle is what each predicate says of one status.
type lifecycle struct {
	editable, deletable, unschedulable, waiting, inPublication bool
	group                                                      posts.Group
	// scheduled and scheduledWithTime are IsScheduled without and with a
	// schedule time.
	scheduled, scheduledWithTime bool
}

var lifecycles = map[post.Status]lifecycle{
	post.StatusDRAFT:      {editable: true, deletable: true, group: posts.GroupSaved},
	post.StatusSCHEDULED:  {editable: true, deletable: true, unschedulable: true, waiting: true, group: posts.GroupScheduled, scheduled: true, scheduledWithTime: true},
	post.StatusQUEUED:     {deletable: true, inPublication: true, group: posts.GroupScheduled, scheduled: true, scheduledWithTime: true},
	post.StatusPUBLISHING: {inPublication: true, group: posts.GroupScheduled, scheduled: true, scheduledWithTime: true},
	post.StatusPUBLISHED:  {deletable: true, inPublication: true, group: posts.GroupPublished, scheduledWithTime: true},
	post.StatusPARTIAL:    {deletable: true, inPublication: true, group: posts.GroupPublished, scheduledWithTime: true},
	post.StatusFAILED:     {editable: true, deletable: true, unschedulable: true, inPublication: true, group: posts.GroupFailed, scheduledWithTime: true},
	post.StatusCANCELLED:  {editable: true, deletable: true, unschedulable: true, inPublication: true, group: posts.GroupFailed, scheduledWithTime: true},
	post.StatusIN_REVIEW:  {editable: true, deletable: true, unschedulable: true, group: posts.GroupSaved},
	post.StatusDELETED:    {deletable: true, group: posts.GroupDeleted},
}

func TestLifecyclePredicatesOfEachStatus(t *testing.T) {
	if len(lifecycles) != len(posts.Statuses) {
		t.Fatalf("table has %d statuses, posts.Statuses %d", len(lifecycles), len(posts.Statuses))
	}
	at := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, st := range posts.Statuses {
		t.Run(string(st), func(t *testing.T) {
			if err := post.StatusValidator(st); err != nil {
				t.Fatalf("not a post status: %v", err)
			}
			want, ok := lifecycles[st]
			if !ok {
				t.Fatal("missing from the table")
			}
			got := lifecycle{
				editable:          posts.Editable(st),
				deletable:         posts.Deletable(st),
				unschedulable:     posts.Unschedulable(st),
				waiting:           posts.Waiting(st),
				inPublication:     posts.InPublication(st),
				group:             posts.GroupOf(st),
				scheduled:         posts.IsScheduled(st, nil),
				scheduledWithTime: posts.IsScheduled(st, &at),
			}
			if got != want {
				t.Fatalf("got %+v, want %+v", got, want)
			}
		})
	}
}

func TestEveryPostStatusHasExactlyOneGroup(t *testing.T) {
	var all []post.Status
	// Deleted posts are in a group of their own that users' groups leave out.
	for _, g := range append(slices.Clone(posts.Groups), posts.GroupDeleted) {
		ss := posts.StatusesOf(g)
		if len(ss) == 0 {
			t.Fatalf("group %s is empty", g)
		}
		for _, s := range ss {
			if slices.Contains(all, s) {
				t.Fatalf("%s in two groups", s)
			}
			all = append(all, s)
		}
	}
	if len(all) != len(posts.Statuses) {
		t.Fatalf("%d statuses grouped, want all %d: %v", len(all), len(posts.Statuses), all)
	}
	if ss := posts.StatusesOf("pending"); ss != nil {
		t.Fatalf("unknown group has statuses %v", ss)
	}
}

func TestNeedAccountsRefusesNone(t *testing.T) {
	for _, tc := range []struct {
		n    int
		fail bool
	}{{0, true}, {1, false}, {5, false}} {
		err := posts.NeedAccounts(tc.n)
		if tc.fail != errors.Is(err, errs.ErrInvalid) || (!tc.fail && err != nil) {
			t.Fatalf("NeedAccounts(%d) = %v", tc.n, err)
		}
	}
}

// The query forms select exactly the posts their Go forms accept.
func TestLifecycleQueriesMatchThePredicates(t *testing.T) {
	testkit.ForEachBackend(t, func(t *testing.T, st *store.Store) {
		_, ctx, _, _, _ := setup(t, st)
		now := time.Now().UTC().Truncate(time.Second)
		past, future := now.Add(-time.Hour), now.Add(time.Hour)
		type row struct {
			id int
			st post.Status
			at *time.Time
		}
		var rows []row
		for _, s := range posts.Statuses {
			for _, at := range []*time.Time{nil, &past, &future} {
				c := st.Client.Post.Create().SetStatus(s)
				if at != nil {
					c.SetScheduledAt(*at)
				}
				p := c.SaveX(ctx)
				rows = append(rows, row{p.ID, s, at})
			}
		}
		ids := func(q []int) []int { slices.Sort(q); return q }
		var wantScheduled, wantDue []int
		for _, r := range rows {
			if posts.IsScheduled(r.st, r.at) {
				wantScheduled = append(wantScheduled, r.id)
			}
			if posts.Waiting(r.st) && r.at != nil && !r.at.After(now) {
				wantDue = append(wantDue, r.id)
			}
		}
		if got := ids(st.Client.Post.Query().Where(posts.Scheduled()).IDsX(ctx)); !slices.Equal(got, ids(wantScheduled)) {
			t.Fatalf("Scheduled() = %v, want %v", got, wantScheduled)
		}
		if got := ids(st.Client.Post.Query().Where(posts.Due(now)).IDsX(ctx)); !slices.Equal(got, ids(wantDue)) || len(wantDue) != 1 {
			t.Fatalf("Due(now) = %v, want %v (one post)", got, wantDue)
		}
	})
}
